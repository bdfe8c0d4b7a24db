"""The Grafana dashboard shipped in docs/grafana references only metrics that the server's
``/metrics`` exposes (names read from a real scrape), and is valid dashboard JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .conftest import SCRAPE_TOKEN, World

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "driftline-dashboard.json"
_SUFFIXES = {
    "counter": ("",),  # declared as x_total
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
}


def exposed_names(text: str) -> set[str]:
    """Every series name a scrape can hold: sample names, and the names each declared
    family declares (a counter with no sample yet still declares ``x_total``)."""
    names = set()
    for line in text.splitlines():
        declared = re.match(r"# TYPE (\w+) (\w+)", line)
        if declared:
            name, kind = declared.groups()
            names.update(name + s for s in _SUFFIXES.get(kind, ("",)))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def _exprs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in ("expr", "definition") and isinstance(v, str)]
        query = node.get("query")
        if isinstance(query, dict) and isinstance(query.get("query"), str):
            found.append(query["query"])
        return found + [e for v in node.values() for e in _exprs(v)]
    if isinstance(node, list):
        return [e for v in node for e in _exprs(v)]
    return []


def test_dashboard_uses_only_exposed_metric_names(sqlite_world: World) -> None:
    r = sqlite_world.api.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert r.status_code == 200
    exposed = exposed_names(r.text)
    assert "driftline_http_requests_total" in exposed
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = _exprs(dashboard)
    assert len(exprs) >= 10
    used = {n for e in exprs for n in re.findall(r"\bdriftline_\w+", e)}
    assert len(used) >= 10
    missing = used - exposed
    assert not missing, f"the dashboard references metrics /metrics does not expose: {missing}"


def test_dashboard_is_well_formed() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    assert dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 24
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"  # chosen on import
    names = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "project", "model", "version"} <= names
