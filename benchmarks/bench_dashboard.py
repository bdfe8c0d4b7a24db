"""Benchmark: the dashboard's model-version page for a version with 10,000 hourly windows.

Data: one model version (binary, 10 features) on a fresh SQLite file with ``--windows``
closed hourly windows (default 10,000: more than a year). Each window's results JSON has
the layout the monitor writes (schema 1: volume, drift over 10 features with statistic,
p-value, effect size and explanation, one data-quality finding every 50th window,
estimated accuracy/ROC AUC with interval and usual range, realized metrics once labels
arrive), its numbers drawn from a seeded random walk. The windows are written directly
to the store (computing 10,000 real windows would measure the monitor, not the page).

Measured against ``driftline server`` running in its own process (uvicorn, as
``driftline server`` runs it), signed in through the sign-in form:

- ``server``: wall time of ``GET`` on the version page from a client on the same host,
  ``--requests`` sequential requests after 3 warm-ups (median and p95), and the very first
  request apart (it reads every window's numbers and builds the timeline, which is then
  reused while the version's windows are unchanged, for at most 30 s);
- ``browser``: Debian's Chromium (Playwright), from navigation start to the timeline drawn
  with its handlers attached (``window.__timelineReady``), with the last ``8,760``
  windows in view and all of them in the page (median of ``--loads`` fresh loads); and a
  zoom-in redraw (median of 10 clicks).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_dashboard --windows 10000

Results are printed and written to ``benchmarks/results/bench_dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import ROOT, machine, median, write_results

FEATURES = [f"f{i}" for i in range(10)]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _results(
    rng: np.random.Generator, key: int, start: datetime, acc: float, share: float
) -> dict[str, Any]:
    columns = {}
    for i, name in enumerate(FEATURES):
        drifted = bool(rng.random() < share)
        effect = float(abs(rng.normal(0.15 if drifted else 0.03, 0.02)))
        columns[name] = {
            "method": "ks",
            "statistic": effect / 2,
            "p_value": 1e-6 if drifted else 0.4,
            "p_value_adjusted": 1e-5 if drifted else 0.8,
            "effect_size": effect,
            "effect_name": "wasserstein_sd",
            "threshold": 0.1,
            "drifted": drifted,
            "explanation": f"mean {effect if i % 2 else -effect:+.2f} sd",
        }
    drifted_cols = [n for n, c in columns.items() if c["drifted"]]
    labelled = key < 9_000
    metrics_est = {
        m: {"value": v, "lower": v - 0.03, "upper": v + 0.03, "band_lower": lo, "band_upper": hi,
            "alert": not lo <= v <= hi}
        for m, v, lo, hi in (("accuracy", acc, 0.86, 0.93), ("roc_auc", acc + 0.03, 0.9, 0.96))
    }  # fmt: skip
    return {
        "schema": 1,
        "window": {"key": key, "start": start.isoformat(), "end": None, "status": "closed"},
        "volume": {"rows": 500, "labels": 400 if labelled else 0, "label_coverage": 0.8},
        "drift": {
            "drifted": bool(drifted_cols),
            "drifted_columns": drifted_cols,
            "n_columns": len(columns),
            "share_drifted": len(drifted_cols) / len(columns),
            "columns": columns,
        },
        "quality": {
            "n_findings": int(key % 50 == 0),
            "findings": [
                {
                    "column": "f1",
                    "check": "missing",
                    "severity": "warning",
                    "message": "12% missing (reference 1%)",
                }
            ]
            if key % 50 == 0
            else [],
        },
        "estimated": {"method": "CBPE", "metrics": metrics_est},
        "realized": {
            "n_labels": 400,
            "metrics": {
                "accuracy": {"value": acc - 0.01, "lower": acc - 0.05, "upper": acc + 0.03}
            },
        }
        if labelled
        else None,
        "skipped": {},
    }


def build(url: str, n_windows: int) -> dict[str, str]:
    """A project, a viewer token and a version with ``n_windows`` hourly windows."""
    from sqlalchemy import insert

    from driftline.store import (
        Catalog,
        TokenRepository,
        VersionSchema,
        Window,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    engine = create_engine_from_url(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project("bench")
        model = catalog.create_model(project.id, "credit")
        schema = VersionSchema(dict.fromkeys(FEATURES, "numeric"))
        version = catalog.create_version(model.id, "1", schema, window_size=3600)
        token = TokenRepository(session).create(project.id, name="bench", role="viewer").secret
        version_id = version.id
    rng = np.random.default_rng(0)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    acc, rows = 0.9, []
    for k in range(n_windows):
        acc = float(np.clip(acc + rng.normal(0, 0.004) + (0.9 - acc) * 0.02, 0.7, 0.97))
        share = 0.05 if k < n_windows * 0.8 else 0.4
        moment = start + timedelta(hours=k)
        rows.append({
            "model_version_id": version_id, "window_key": int(moment.timestamp() * 1e6),
            "start_at": moment, "end_at": moment + timedelta(hours=1), "row_count": 500,
            "label_count": 400 if k < 9_000 else 0, "status": "closed", "dirty": False,
            "results": _results(rng, k, moment, acc, share), "version": 1, "computed_at": moment,
        })  # fmt: skip
    with engine.begin() as conn:
        for i in range(0, len(rows), 1000):
            conn.execute(insert(Window), rows[i : i + 1000])
    engine.dispose()
    return {"token": token, "path": "/ui/projects/bench/models/credit/versions/1"}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DRIFTLINE_DATABASE_URL": url,
        "DRIFTLINE_SERVER_MONITOR": "false",
        "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
        "PYTHONPATH": str(ROOT / "src"),
    }
    code = (
        "from driftline.server._run import run; "
        f"run(host='127.0.0.1', port={port}, log_level='warning')"
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _session(base: str, token: str) -> Any:
    import httpx

    client = httpx.Client(base_url=base, timeout=60)
    for _ in range(200):
        try:
            page = client.get("/ui/login")
            break
        except httpx.TransportError:
            time.sleep(0.1)
    nonce = re.search(r'name="login_nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    r = client.post("/ui/login", data={"token": token, "login_nonce": nonce.group(1)})
    assert r.status_code == 303, r.text
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    info = machine()
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url = f"sqlite:///{folder}/driftline.db"
    t0 = time.perf_counter()
    built = build(url, args.windows)
    print(f"built {args.windows:,} windows in {time.perf_counter() - t0:.1f} s")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(url, port)
    try:
        client = _session(base, built["token"])
        started = time.perf_counter()
        assert client.get(built["path"]).status_code == 200
        cold = (time.perf_counter() - started) * 1000  # builds and caches the timeline
        for _ in range(3):
            assert client.get(built["path"]).status_code == 200
        times = []
        size = 0
        for _ in range(args.requests):
            started = time.perf_counter()
            r = client.get(built["path"])
            times.append(time.perf_counter() - started)
            size = len(r.content)
            assert r.status_code == 200
        times.sort()
        server_ms = {
            "median_ms": median(times) * 1000,
            "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
            "page_bytes": size,
            "first_request_ms": cold,
        }
        print(f"server: page {server_ms['median_ms']:.0f} ms median, "
              f"{server_ms['p95_ms']:.0f} ms p95, {size / 1e6:.2f} MB; first request (timeline "
              f"built, then reused for up to 30 s while no window changes) {cold:.0f} ms")  # fmt: skip
        browser_ms = _browser(
            base, client.cookies.get("driftline_session"), built["path"], args.loads
        )
        print(f"browser: timeline drawn and interactive {browser_ms['ready_median_ms']:.0f} ms "
              f"after navigation start (median), zoom redraw {browser_ms['zoom_median_ms']:.0f} ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    payload = {"machine": info, "windows": args.windows, "server": server_ms, "browser": browser_ms}
    print(json.dumps(payload, indent=2))
    write_results("bench_dashboard", payload)


def _browser(base: str, cookie: str | None, path: str, loads: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    ready, zooms = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for i in range(loads + 1):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": "driftline_session", "value": cookie or "",
                                  "url": base + "/ui/"}])  # fmt: skip
            page = context.new_page()
            page.goto(base + path)
            page.wait_for_selector("#timeline[data-ready]")
            if i:  # the first load warms the server and the browser's cache of the script
                ready.append(float(page.evaluate("window.__timelineReady")))
            shown = page.inner_text("#timeline-range")
            context.close()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [{"name": "driftline_session", "value": cookie or "", "url": base + "/ui/"}]
        )
        page = context.new_page()
        page.goto(base + path)
        page.wait_for_selector("#timeline[data-ready]")
        script = (
            "a => { const t = performance.now(); "
            "document.querySelector(`[data-act=${a}]`).click(); return performance.now() - t; }"
        )
        zooms.extend(float(page.evaluate(script, act)) for act in ["in", "out"] * 5)
        browser.close()
    return {"ready_median_ms": median(ready), "ready_max_ms": max(ready),
            "zoom_median_ms": median(zooms), "range_text": shown}  # fmt: skip


if __name__ == "__main__":
    main()
