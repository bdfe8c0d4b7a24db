"""A real dashboard to test and to photograph: ``driftline server``'s app under uvicorn on
127.0.0.1, fed with the quickstart's credit scenario through the SDK, windows computed by the
real monitor (daily windows; labels arrive four weeks late; the downturn drifts income and
lowers accuracy), two alert rules, and a model whose name is an HTML tag.

Used by ``tests/ui`` and ``scripts/dashboard_screenshots.py``.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from driftline._config import Settings

PROJECT = "credit-risk"
MODEL = "credit-default"
HOSTILE = "<script>alert('x')</script>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The app under uvicorn in a thread, on 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Demo:
    url: str
    project: str
    tokens: dict[str, str] = field(default_factory=dict)  # role -> secret
    other_token: str = ""  # admin of another project
    engine: Any = None

    @property
    def version_path(self) -> str:
        return f"/ui/projects/{self.project}/models/{MODEL}/versions/1"


def _tokens(engine: Any, project: str) -> dict[str, str]:
    from driftline.store import Catalog, TokenRepository, session_factory

    out = {}
    with session_factory(engine).begin() as session:
        created = Catalog(session).create_project(project)
        repo = TokenRepository(session)
        for role in ("viewer", "editor", "admin"):
            out[role] = repo.create(created.id, name=f"{role}-token", role=role).secret  # type: ignore[arg-type]
    return out


def _feed(demo: Demo, rows_per_week: int) -> None:
    from driftline.client import Client
    from driftline.quickstart import make_credit_scenario
    from driftline.quickstart._model import predict_scores, train_model
    from driftline.quickstart._scenario import FEATURES

    scenario = make_credit_scenario(
        rows_per_week=rows_per_week, production_weeks=8, drift_starts_week=2
    )
    target = "defaulted"
    features = list(FEATURES)
    model = train_model(scenario.train, target)
    reference = scenario.reference.copy()
    production = scenario.production.copy()
    reference["score"] = predict_scores(model, reference[features])
    production["score"] = predict_scores(model, production[features])
    with Client(demo.url, demo.tokens["admin"], project=demo.project, flush_interval=0.1) as c:
        c.create_model(MODEL)
        c.register_version(
            MODEL, "1", reference=reference[[*features, "score", target]], task="binary",
            score="score", target=target, window="1d",
        )  # fmt: skip
        # the registry: the training data, the run that produced version 1, production
        c.register_dataset(
            "credit-train", scenario.train[[*features, target]],
            source_uri="s3://lake/credit/train.parquet", licence="internal",
        )  # fmt: skip
        c.record_lineage(
            MODEL, "1", run="train-2026-01", datasets=["credit-train"],
            run_attributes={"code": "git:4f2a9c1"},
        )  # fmt: skip
        c.set_alias(MODEL, "staging", "1", reason="passed the gate")
        c.set_alias(MODEL, "production", "1", reason="approved by the model risk committee")
        c.create_alert_rule("feature drift", "drift", {"min_drifted": 1}, model=MODEL)
        c.create_alert_rule(
            "estimated accuracy below its usual range",
            "estimated_metric",
            {"metric": "accuracy", "below_band": True},
            model=MODEL,
        )
        weeks = sorted(production["week"].unique().tolist())
        for i, week in enumerate(weeks):
            rows = production[production["week"] == week]
            c.log_predictions(
                MODEL, "1", rows[[*features, "score"]], ids=rows["prediction_id"].tolist(),
                timestamps=rows["timestamp"],
            )  # fmt: skip
            if i >= 3:  # labels arrive three weeks late
                done = production[production["week"] == weeks[i - 3]]
                c.log_labels(MODEL, "1", done["prediction_id"].tolist(), done[target].tolist())
        # a second model whose feature (and alert rule) is named as markup: it must render
        # as text (model names are restricted to letters, digits and ._~-)
        hostile = reference[["income", "score", target]].rename(columns={"income": HOSTILE})
        c.create_model("hostile")
        c.register_version(
            "hostile", "1", reference=hostile, task="binary", score="score", target=target,
            window="1w",
        )  # fmt: skip
        c.create_alert_rule(HOSTILE, "drift", {"min_drifted": 1}, model="hostile")
        shifted = production[["income", "score"]].head(600).rename(columns={"income": HOSTILE})
        shifted[HOSTILE] = shifted[HOSTILE] * 3.0
        c.log_predictions(
            "hostile", "1", shifted, ids=[f"h{i}" for i in range(600)],
            timestamps=production["timestamp"].head(600),
        )  # fmt: skip
        c.flush(timeout=120)


@contextmanager
def running_demo(
    database_url: str, *, rows_per_week: int = 700, saved: str | None = None
) -> Iterator[Demo]:
    """The demo server on a fresh database at ``database_url``, windows computed.

    With ``saved`` (a JSON file path): when the file exists, the database it describes is
    served as it is (no new data); otherwise the demo is built and described there.
    """
    import json
    from pathlib import Path

    from driftline.monitor import Monitor
    from driftline.server import create_app
    from driftline.store import create_engine_from_url, migrate

    known = json.loads(Path(saved).read_text()) if saved and Path(saved).exists() else None
    engine = create_engine_from_url(known["database_url"] if known else database_url)
    migrate(engine)
    if known is None:
        project = f"{PROJECT}-{secrets.token_hex(2)}"
        tokens = _tokens(engine, project)
        other = _tokens(engine, f"other-{secrets.token_hex(2)}")["admin"]
    else:
        project, tokens, other = known["project"], known["tokens"], known["other"]
    settings = Settings(rate_limit_per_second=0)
    app = create_app(settings, engine=engine, monitor=False)
    with LiveServer(app) as server:
        demo = Demo(server.url, project, tokens, other, engine)
        if known is None:
            _feed(demo, rows_per_week)
            monitor = Monitor(engine, grace_seconds=0.0)
            for _ in range(50):
                if monitor.run_once().windows_computed == 0:
                    break
            if saved:
                description = {"database_url": database_url, "project": project,
                               "tokens": tokens, "other": other}  # fmt: skip
                Path(saved).write_text(json.dumps(description))
        yield demo
    engine.dispose()
