"""``register_version(..., exist_ok=True)`` against the real server: the same version is
returned as registered, a different one is a clear 409, an interrupted registration is
completed, and concurrent registrations of one version all get it (one row stored)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from driftline.client import ApiError, Client, Version
from driftline.store import Model, ModelVersion, VersionSchema

from .conftest import Deployment, frame


def _reference_profile(deployment: Deployment, model: str, version: str) -> bytes | None:
    query = (
        select(ModelVersion.reference_profile)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(Model.name == model, ModelVersion.version == version)
    )
    with deployment.engine.connect() as conn:
        value = conn.execute(query).scalar_one()
    return None if value is None else bytes(value)


def _version_rows(deployment: Deployment, model: str, version: str) -> int:
    query = (
        select(func.count())
        .select_from(ModelVersion)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(Model.name == model, ModelVersion.version == version)
    )
    with deployment.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_the_same_version_is_returned_and_its_reference_kept(deployment: Deployment) -> None:
    with Client(deployment.url, deployment.token) as client:
        client.create_model("idem", exist_ok=True)
        first = client.register_version("idem", "1", reference=frame(300, seed=1), target="label")
        stored = _reference_profile(deployment, "idem", "1")
        # a deployment script run again, on other reference rows of the same shape
        again = client.register_version(
            "idem", "1", reference=frame(200, seed=2), target="label", exist_ok=True
        )
        given = VersionSchema.from_dict(first.schema.to_dict())
        by_schema = client.register_version("idem", "1", schema=given, exist_ok=True)
    assert isinstance(again, Version)
    assert again == first == by_schema  # same created_at: the registered version itself
    assert _reference_profile(deployment, "idem", "1") == stored  # not replaced
    assert _version_rows(deployment, "idem", "1") == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"schema": {"x": "categorical", "city": "categorical", "flag": "boolean"}},
         "features['x']: registered 'numeric', given 'categorical'"),
        ({"schema": {"x": "numeric", "city": "categorical"}}, "features: 'flag' is missing"),
        ({"schema": {"x": "numeric", "city": "categorical", "flag": "boolean"},
          "task": "regression"}, "task: registered 'binary', given 'regression'"),
        ({"schema": {"x": "numeric", "city": "categorical", "flag": "boolean"},
          "score": "proba"}, "score_column: registered 'score', given 'proba'"),
        ({"schema": {"x": "numeric", "city": "categorical", "flag": "boolean"},
          "window": "1d"}, "window: registered {'kind': 'time', 'size_seconds': 3600, 'align': 'calendar'}"),
    ],
)  # fmt: skip
def test_a_different_version_is_a_clear_conflict(
    deployment: Deployment, change: dict, expected: str
) -> None:
    with Client(deployment.url, deployment.token) as client:
        client.create_model("differs", exist_ok=True)
        client.register_version(
            "differs", "1",
            schema={"x": "numeric", "city": "categorical", "flag": "boolean"}, window="1h",
            exist_ok=True,
        )  # fmt: skip
        with pytest.raises(ApiError, match="already has a version '1' that differs") as info:
            client.register_version("differs", "1", exist_ok=True, **change)
    assert (info.value.status, info.value.code) == (409, "conflict")
    assert expected in str(info.value)
    assert any(expected in d for d in info.value.details)
    assert "new version name" in str(info.value)


def test_a_registration_stopped_before_its_upload_is_completed(deployment: Deployment) -> None:
    reference = frame(300, seed=3)
    features = {"x": "numeric", "city": "categorical", "flag": "boolean"}
    with Client(deployment.url, deployment.token) as client:
        client.create_model("resumed", exist_ok=True)
        bare = client.register_version("resumed", "1", schema=features)  # the upload never ran
        done = client.register_version(
            "resumed", "1", reference=reference, target="label", exist_ok=True
        )
    assert not bare.has_reference_data
    assert not bare.has_reference_profile
    assert done.has_reference_data
    assert done.has_reference_profile
    assert done.created_at == bare.created_at
    assert _reference_profile(deployment, "resumed", "1") is not None


def test_concurrent_registrations_of_one_version_all_get_it(deployment: Deployment) -> None:
    """No read-then-write race: the server's unique key decides, the losers read the winner."""
    with Client(deployment.url, deployment.token) as client:
        client.create_model("raced", exist_ok=True)
    results: list[Version] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def register() -> None:
        try:
            with Client(deployment.url, deployment.token, project="acme") as client:
                barrier.wait(10)
                results.append(
                    client.register_version(
                        "raced", "1", schema={"x": "numeric"}, window="500 rows", exist_ok=True
                    )
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 6
    assert all(r == results[0] for r in results)
    assert results[0].window == {"kind": "rows", "size": 500}
    assert _version_rows(deployment, "raced", "1") == 1


def test_without_exist_ok_an_existing_version_is_still_refused(deployment: Deployment) -> None:
    with Client(deployment.url, deployment.token) as client:
        client.create_model("strict", exist_ok=True)
        client.register_version("strict", "1", schema={"x": "numeric"})
        with pytest.raises(ApiError, match="versions are immutable") as info:
            client.register_version("strict", "1", schema={"x": "numeric"})
    assert info.value.status == 409
