"""The monitor with the real alert engine and a real webhook receiver; the CLI command."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from driftline.cli._monitor_cmd import monitor as monitor_command
from driftline.exceptions import ParameterError
from driftline.monitor import Monitor
from driftline.store import PredictionStore, session_factory
from driftline.testing import DRIFTED_COLUMNS, make_monitoring_data

REFERENCE, DRIFTED = make_monitoring_data(20_000, seed=41)
STABLE = make_monitoring_data(3_000, seed=42, drift=False)[1]


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_a_drifted_window_fires_the_drift_rule_and_notifies(
    engine: Engine, h: Any, receiver: Receiver
) -> None:
    from driftline.alerts import AlertRepository, RuleSpec
    from driftline.store import Catalog

    setup = h.make_version(engine, REFERENCE, window_size=3_000)
    with session_factory(engine).begin() as session:
        project_id = Catalog(session).project_of_version(setup.version_id)
        assert project_id is not None
        spec = RuleSpec(
            name="drift",
            kind="drift",
            config={"columns": None, "min_drifted": 1},
            channels=[{"type": "webhook", "url": receiver.url, "allow_private": True}],
        )
        AlertRepository(session).create_rule(project_id, spec)
    setup.ingest(h.as_rows(STABLE))
    monitor = Monitor(engine)
    quiet = monitor.run_once()
    assert quiet.errors == 0
    assert quiet.windows_computed == 1
    assert quiet.alert_events == 0
    assert receiver.bodies == []
    setup.ingest(h.as_rows(DRIFTED.iloc[:3_000]))
    loud = monitor.run_once()
    assert loud.errors == 0
    assert loud.windows_computed == 1
    assert loud.alert_events == 1
    assert loud.notifications_delivered == 1
    assert len(receiver.bodies) == 1
    text = json.dumps(receiver.bodies[0])
    assert all(name in text for name in DRIFTED_COLUMNS)
    with session_factory(engine)() as session:
        history = AlertRepository(session).history(project_id)
    assert len(history) == 1
    # nothing new: no second event, no second notification
    again = monitor.run_once()
    assert (again.alert_events, again.notifications_delivered) == (0, 0)
    assert len(receiver.bodies) == 1


def test_cli_runs_one_pass_and_prints_json(tmp_path: Path, h: Any) -> None:
    from driftline.store import create_engine_from_url, migrate

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine_from_url(url)
    migrate(engine)
    setup = h.make_version(engine, REFERENCE, window_size=3_000)
    setup.ingest(h.as_rows(STABLE))
    app = typer.Typer()
    app.command()(monitor_command)
    result = CliRunner().invoke(app, ["--database-url", url, "--once"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output.strip().splitlines()[-1])
    assert stats["windows_computed"] == 1
    assert stats["rows_merged"] == 3_000
    (window,) = PredictionStore(engine).windows(setup.version_id)
    assert window.status == "closed"
    assert window.results["drift"]["drifted"] is False
    engine.dispose()


def test_cli_reports_an_unusable_database_as_a_driftline_error(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(monitor_command)
    bad = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(app, ["--database-url", bad, "--once"])
    assert isinstance(result.exception, ParameterError)
    assert "Cannot use the database" in str(result.exception)
    wrong = CliRunner().invoke(app, ["--database-url", "mysql://x/y", "--once"])
    assert isinstance(wrong.exception, ParameterError)
