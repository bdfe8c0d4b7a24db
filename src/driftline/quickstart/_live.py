"""The quickstart's last step: the monitoring service, live.

The monitoring server runs in this process (uvicorn in a thread, a SQLite file under the
output directory); the production period is streamed to it through the Python SDK, labels
follow four weeks late, the monitor computes every window, and the alert rules fire and are
delivered to a local webhook receiver that checks their HMAC signature.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd

from driftline.quickstart._scenario import FEATURES
from driftline.quickstart._story import Story
from driftline.report import MISSING, Callout, Stat, Table, Text, format_number, format_percent

__all__ = ["LABEL_DELAY_WEEKS", "live_monitoring"]

LABEL_DELAY_WEEKS = 4
_MODEL = "credit-default"
_PROJECT = "credit"
_SECRET = "quickstart-webhook-secret"
_STEP = "monitoring service"


@dataclass
class _Receiver:
    """A local webhook endpoint that records deliveries and checks their signatures."""

    received: list[dict[str, Any]] = field(default_factory=list)
    valid_signatures: int = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                from driftline.alerts import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature

                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verify_signature(
                    _SECRET,
                    body,
                    self.headers.get(TIMESTAMP_HEADER),
                    self.headers.get(SIGNATURE_HEADER),
                )
                receiver.valid_signatures += int(signed)
                receiver.received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@contextlib.contextmanager
def _webhook_receiver() -> Iterator[tuple[str, _Receiver]]:
    receiver = _Receiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True, name="quickstart-hook")
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/driftline", receiver
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def _api_server(database_url: str) -> Iterator[str]:
    """Serve the monitoring API on a free local port; yield its base URL."""
    import uvicorn

    from driftline._config import load_settings
    from driftline.server import create_app

    settings = load_settings().values.model_copy(
        update={"database_url": database_url, "server_monitor": False, "rate_limit_per_second": 0}
    )
    app = create_app(settings, monitor=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="quickstart-api"
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the quickstart could not start the monitoring server")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _fresh_database(out_dir: Path) -> tuple[str, str]:
    """A new SQLite database with the demo project; return its URL and an admin token."""
    from driftline.store import (
        Catalog,
        TokenRepository,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    path = out_dir / "driftline.db"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    engine = create_engine_from_url(url)
    try:
        migrate(engine)
        with session_factory(engine).begin() as session:
            project = Catalog(session).create_project(_PROJECT)
            token = TokenRepository(session).create(project.id, name="quickstart", role="admin")
    finally:
        engine.dispose()
    return url, token.secret


def _fmt(value: object, digits: int = 3) -> str:
    return format_number(value, decimals=digits) if isinstance(value, float) else MISSING


def _metric(results: dict[str, Any], part: str, name: str) -> dict[str, Any]:
    """A metric's entry in a window's results (``{}`` when the part was not computed)."""
    section = results.get(part) or {}
    entry: dict[str, Any] = (section.get("metrics") or {}).get(name) or {}
    return entry


def live_monitoring(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """Stream production to the monitoring server through the SDK and show what fires."""
    section = story.report.section("Monitoring service (server, SDK, monitor, alerts)")
    try:
        from driftline.client import Client
        from driftline.monitor import Monitor
        from driftline.store import create_engine_from_url
    except ImportError as exc:
        story.say(_STEP, f"skipped: {exc}", "warn")
        section.add(Text(f"Skipped: {exc}"))
        return

    started = time.perf_counter()
    weeks = sorted(production["week"].unique().tolist())
    rows_per_week = int(production.groupby("week").size().max())
    database_url, token = _fresh_database(story.out_dir)
    engine = create_engine_from_url(database_url)
    monitor = Monitor(engine, interval_seconds=0.25, grace_seconds=0.0)
    with (
        _webhook_receiver() as (hook_url, receiver),
        _api_server(database_url) as api,
        Client(api, token, project=_PROJECT, batch_size=1_000, flush_interval=0.2) as client,
    ):
        monitor.start()
        try:
            client.create_model(_MODEL)
            client.register_version(
                _MODEL,
                "1",
                reference=reference[[*FEATURES, "score", target]],
                task="binary",
                score="score",
                target=target,
                window=f"{rows_per_week} rows",
            )
            hook = {"type": "webhook", "url": hook_url, "secret": _SECRET, "allow_private": True}
            client.create_alert_rule(
                "feature drift", "drift", {"min_drifted": 1}, model=_MODEL, channels=[hook]
            )
            client.create_alert_rule(
                "estimated accuracy below its band",
                "estimated_metric",
                {"metric": "accuracy", "below_band": True},
                model=_MODEL,
                channels=[hook],
            )
            for i, week in enumerate(weeks):
                rows = production[production["week"] == week]
                client.log_predictions(
                    _MODEL,
                    "1",
                    rows[[*FEATURES, "score"]],
                    ids=rows["prediction_id"].tolist(),
                    timestamps=rows["timestamp"],
                )
                if i >= LABEL_DELAY_WEEKS:  # labels arrive four weeks late
                    labelled = production[production["week"] == weeks[i - LABEL_DELAY_WEEKS]]
                    client.log_labels(
                        _MODEL, "1", labelled["prediction_id"].tolist(), labelled[target].tolist()
                    )
            client.flush(timeout=60)
        finally:
            monitor.stop(timeout=30)
        monitor.run_once()  # whatever the background loop had not reached yet
        windows = [client.window(_MODEL, "1", w.window_key) for w in client.windows(_MODEL, "1")]
        api_url = f"{api}/api/v1"
        alerts = client.alerts(model=_MODEL, limit=100)
        stats = client.stats
    engine.dispose()
    elapsed = time.perf_counter() - started

    rows_table = []
    first_drift = first_estimate = None
    fired = {((a.window or {}).get("key"), (a.rule or {}).get("name")) for a in alerts}
    for week, window in zip(weeks, windows, strict=False):
        results = dict(window.results or {})
        estimated = _metric(results, "estimated", "accuracy")
        realized = _metric(results, "realized", "accuracy")
        key = window.window_key
        names = sorted(str(name) for k, name in fired if k == key)
        if window.drifted and first_drift is None:
            first_drift = week
        if estimated.get("alert") and first_estimate is None:
            first_estimate = week
        rows_table.append(
            [
                week,
                f"{window.rows:,}",
                f"{window.labels:,}",
                format_percent(window.share_drifted or 0.0, decimals=0),
                _fmt(estimated.get("value")),
                _fmt(realized.get("value")),
                ", ".join(names) or "—",
            ]
        )
    delivered = len(receiver.received)
    story.facts["monitoring_service"] = {
        "windows": len(windows),
        "rows_sent": stats.rows_sent,
        "alerts": len(alerts),
        "first_drift_window": first_drift,
        "first_estimated_alert_window": first_estimate,
        "webhooks_received": delivered,
        "webhooks_signed": receiver.valid_signatures,
        "seconds": round(elapsed, 2),
        "api_url": api_url,
        "database": str(story.out_dir / "driftline.db"),
        "database_url": database_url,
        "project": _PROJECT,
        "model": _MODEL,
        "token": token,
    }
    story.say(
        _STEP,
        f"streamed {stats.rows_sent:,} predictions through the SDK to the server at {api_url} "
        f"(OpenAPI at /docs) in {elapsed:.1f} s; the monitor computed {len(windows)} windows",
        "info",
    )
    if alerts:
        story.say(
            _STEP,
            f"{len(alerts)} alerts fired (first drift alert: {first_drift or '—'}, estimated "
            f"accuracy below its band: {first_estimate or '—'}); the webhook received "
            f"{delivered}, {receiver.valid_signatures} with a valid signature",
            "warn",
        )
    else:
        story.say(_STEP, "no alert fired", "ok")
    story.say(
        _STEP,
        f"explore it: driftline server --database-url {database_url}, then "
        f"http://127.0.0.1:8000/docs with project {_PROJECT!r} (API paths start "
        f"/api/v1/projects/{_PROJECT}/), model {_MODEL!r} and admin token {token}",
        "info",
    )
    section.add(
        Text(
            "The monitoring server ran in this process on a SQLite file; the production "
            "period was streamed to it with the Python SDK (`driftline.Client`), one window "
            f"per {rows_per_week:,} predictions, with labels arriving {LABEL_DELAY_WEEKS} weeks "
            "late. The monitor merged each batch's profile into its window and computed drift, "
            "data quality, estimated (CBPE) and realized performance; two alert rules were "
            "evaluated on every window and delivered to a local webhook with an HMAC signature."
        ),
        Stat("alerts fired", str(len(alerts)), tone="warn" if alerts else "ok"),
        Stat("webhooks delivered (signature valid)", f"{delivered} ({receiver.valid_signatures})"),
        Table(
            ["window", "rows", "labels", "drifted columns", "est. accuracy", "accuracy", "alerts"],
            rows_table,
        ),
    )
    if alerts:
        first_message = alerts[-1].message or (alerts[-1].rule or {}).get("name")
        section.add(Callout(f"First alert: {first_message or 'no message'}", "warn"))
    section.add(
        Text(
            f"Explore the API on this data: `driftline server --database-url {database_url}`, "
            f"then open http://127.0.0.1:8000/docs. The project is `{_PROJECT}` (every API path "
            f"starts with /api/v1/projects/{_PROJECT}), the model `{_MODEL}`; the admin token "
            "is printed by the quickstart."
        )
    )
