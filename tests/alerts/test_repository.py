"""AlertRepository on SQLite and PostgreSQL: rules CRUD scoped by project, dedupe,
cooldown, resolution and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from driftline.alerts import AlertRepository, EvaluationContext, Firing, RuleSpec, evaluate
from driftline.exceptions import ParameterError
from driftline.store import Catalog, session_factory

from .conftest import Setup

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
SECRET = "s3cr3t-0123456789abcdef"


def _spec(name: str = "auc", **kw: object) -> RuleSpec:
    data: dict[str, object] = {
        "name": name,
        "kind": "estimated_metric",
        "config": {"metric": "roc_auc", "threshold": 0.7},
        "channels": [{"type": "webhook", "url": "https://hooks.example.com/x", "secret": SECRET}],
        **kw,
    }
    return RuleSpec.model_validate(data)


def test_rules_crud_is_scoped_by_project(engine: Engine, setup: Setup) -> None:
    factory = session_factory(engine)
    with factory.begin() as session:
        other = Catalog(session).create_project(f"other-{setup.project}").id
        repo = AlertRepository(session)
        rule = repo.create_rule(setup.project_id, _spec(model="churn"))
        assert rule.model_id == setup.model_id
        assert rule.spec.model == "churn"
        rule_id = rule.id
    with factory.begin() as session:
        repo = AlertRepository(session)
        assert repo.get_rule(other, rule_id) is None
        assert repo.list_rules(other) == []
        assert repo.update_rule(other, rule_id, {"enabled": False}) is None
        assert repo.delete_rule(other, rule_id) is False
        got = repo.get_rule(setup.project_id, rule_id)
        assert got is not None
        assert got.spec == _spec(model="churn")
        assert got.public_dict()["id"] == rule_id
        assert SECRET not in repr(got.public_dict())
    with factory.begin() as session:
        repo = AlertRepository(session)
        updated = repo.update_rule(
            setup.project_id, rule_id, {"enabled": False, "model": None, "cooldown_seconds": 60}
        )
        assert updated is not None
        assert (updated.spec.enabled, updated.model_id, updated.spec.cooldown_seconds) == (
            False,
            None,
            60,
        )
        assert updated.spec.channels[0].secret_value() == SECRET  # kept through the patch
        assert [r.id for r in repo.list_rules(setup.project_id, enabled=True)] == []
        assert [r.id for r in repo.list_rules(setup.project_id, enabled=False)] == [rule_id]
        replaced = repo.update_rule(setup.project_id, rule_id, _spec("renamed"))
        assert replaced is not None
        assert replaced.spec.name == "renamed"
    with factory.begin() as session:
        repo = AlertRepository(session)
        assert repo.delete_rule(setup.project_id, rule_id) is True
        assert repo.get_rule(setup.project_id, rule_id) is None


def test_unknown_model_is_a_clear_error(engine: Engine, setup: Setup) -> None:
    with (
        session_factory(engine).begin() as session,
        pytest.raises(ParameterError, match="No model named 'nope' in this project"),
    ):
        AlertRepository(session).create_rule(setup.project_id, _spec(model="nope"))


def test_a_model_of_another_project_is_not_found(engine: Engine, setup: Setup) -> None:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        other = catalog.create_project(f"o-{setup.project}")
        catalog.create_model(other.id, "private-model")
        with pytest.raises(ParameterError, match="No model named 'private-model'"):
            AlertRepository(session).create_rule(setup.project_id, _spec(model="private-model"))


def _firing(rule_id: str, version_id: str, key: int, value: float = 0.5) -> Firing:
    results = {
        "window": {"key": key, "start": None, "end": None, "status": "closed"},
        "estimated": {"method": "CBPE", "metrics": {"roc_auc": {"value": value, "lower": None,
                      "upper": None, "band_lower": None, "band_upper": None, "alert": True}}},
    }  # fmt: skip
    from driftline.alerts import StoredRule

    stored = StoredRule(rule_id, "p", None, _spec())
    firing = evaluate(stored, results, EvaluationContext(version_id=version_id))
    assert firing is not None
    return firing


def test_dedupe_cooldown_and_resolution(engine: Engine, setup: Setup) -> None:
    factory = session_factory(engine)
    with factory.begin() as session:
        rule_id = (
            AlertRepository(session).create_rule(setup.project_id, _spec(cooldown_seconds=600)).id
        )
    v = setup.version_id
    with factory.begin() as session:
        repo = AlertRepository(session)
        first = repo.record(_firing(rule_id, v, 1), now=NOW)
        assert first is not None
        assert first.status == "firing"
        # still open: the same condition on later windows is the same alert
        assert repo.record(_firing(rule_id, v, 2, 0.4), now=NOW + timedelta(hours=1)) is None
        # an older window that is clear does not resolve an alert opened on a newer one
        assert repo.resolve_cleared(rule_id, v, window_key=0, now=NOW) == []
        resolved = repo.resolve_cleared(rule_id, v, window_key=3, now=NOW + timedelta(hours=2))
        assert [e.id for e in resolved] == [first.id]
        assert resolved[0].status == "resolved"
        assert resolved[0].resolved_at == NOW + timedelta(hours=2)
        # within the cooldown after resolution: no new event
        resolved_at = NOW + timedelta(hours=2)
        assert repo.record(_firing(rule_id, v, 4), now=resolved_at + timedelta(seconds=599)) is None
        second = repo.record(_firing(rule_id, v, 5), now=resolved_at + timedelta(seconds=600))
        assert second is not None
        assert second.id != first.id
        # a still-firing key is kept open
        assert repo.resolve_cleared(rule_id, v, keep={second.dedupe_key}, now=resolved_at) == []


def test_record_needs_an_existing_rule(engine: Engine, setup: Setup) -> None:
    with (
        session_factory(engine).begin() as session,
        pytest.raises(ParameterError, match="No alert rule"),
    ):
        AlertRepository(session).record(_firing("no-such-rule", setup.version_id, 1), now=NOW)


def test_history_filters(engine: Engine, setup: Setup) -> None:
    factory = session_factory(engine)
    with factory.begin() as session:
        catalog = Catalog(session)
        other_model = catalog.create_model(setup.project_id, "other")
        from driftline.store import VersionSchema

        other_version = catalog.create_version(
            other_model.id, "1", VersionSchema({"x": "numeric"})
        ).id
        repo = AlertRepository(session)
        r1 = repo.create_rule(setup.project_id, _spec("a")).id
        r2 = repo.create_rule(setup.project_id, _spec("b")).id
        e1 = repo.record(_firing(r1, setup.version_id, 1), now=NOW)
        e2 = repo.record(_firing(r2, other_version, 1), now=NOW + timedelta(minutes=5))
        e3 = repo.record(_firing(r2, setup.version_id, 1), now=NOW + timedelta(minutes=10))
        assert e1
        assert e2
        assert e3
        repo.resolve_cleared(r2, other_version, now=NOW + timedelta(minutes=20))
        other_project = catalog.create_project(f"x-{setup.project}").id
        ids = (e1.id, e2.id, e3.id)
    with factory() as session:
        repo = AlertRepository(session)
        assert [e.id for e in repo.history(setup.project_id)] == [ids[2], ids[1], ids[0]]
        assert [e.id for e in repo.history(setup.project_id, model="churn")] == [ids[2], ids[0]]
        assert [e.id for e in repo.history(setup.project_id, status="resolved")] == [ids[1]]
        assert [e.id for e in repo.history(setup.project_id, status="firing", model="other")] == []
        since = NOW + timedelta(minutes=5)
        assert [e.id for e in repo.history(setup.project_id, since=since)] == [ids[2], ids[1]]
        assert [e.id for e in repo.history(setup.project_id, limit=1)] == [ids[2]]
        assert repo.history(other_project) == []
        assert repo.get_event(other_project, ids[0]) is None
        assert repo.get_event(setup.project_id, ids[0]) is not None
        with pytest.raises(
            ParameterError,
            match=r"The 'status' parameter of AlertRepository.history must be a str among .*Got 'open'",
        ):
            repo.history(setup.project_id, status="open")
        with pytest.raises(ParameterError, match="'limit'"):
            repo.history(setup.project_id, limit=0)
        with pytest.raises(ParameterError, match="timezone-aware"):
            repo.history(setup.project_id, since=datetime(2026, 1, 1))
