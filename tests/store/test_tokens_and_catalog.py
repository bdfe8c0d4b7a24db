from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from driftline.exceptions import ParameterError
from driftline.store import (
    ApiToken,
    Catalog,
    TokenRepository,
    VersionSchema,
    role_allows,
    session_factory,
)
from driftline.store._types import utcnow


def _project(engine: Engine) -> str:
    with session_factory(engine).begin() as session:
        return Catalog(session).create_project(f"p-{secrets.token_hex(6)}").id


def test_secret_is_not_stored_and_verifies(engine: Engine) -> None:
    project_id = _project(engine)
    with session_factory(engine).begin() as session:
        new = TokenRepository(session).create(project_id, name="ci", role="editor")
    assert new.secret.startswith(f"dl_{new.info.token_id}_")
    assert "***" in repr(new)
    assert new.secret not in repr(new)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM api_tokens WHERE id = :i"), {"i": new.info.token_id}
        ).one()
    secret_part = new.secret.rsplit("_", 1)[1]
    for value in row:
        assert secret_part not in str(value)
        assert new.secret not in str(value)
    with session_factory(engine)() as session:
        info = TokenRepository(session).verify(new.secret)
    assert info is not None
    assert (info.project_id, info.role, info.token_id) == (project_id, "editor", new.info.token_id)


def test_wrong_or_malformed_secrets_fail(engine: Engine) -> None:
    project_id = _project(engine)
    with session_factory(engine).begin() as session:
        new = TokenRepository(session).create(project_id, name="ci", role="viewer")
    body = new.secret.rsplit("_", 1)[1]
    flipped = ("A" if body[0] != "A" else "B") + body[1:]
    wrong = [
        f"dl_{new.info.token_id}_{flipped}",
        f"dl_{'0' * 16}_{body}",
        new.secret[:-1],
        "",
        "Bearer " + new.secret,
    ]
    with session_factory(engine)() as session:
        repo = TokenRepository(session)
        for candidate in wrong:
            assert repo.verify(candidate) is None, candidate


def test_revoked_and_expired_tokens_fail(engine: Engine) -> None:
    project_id = _project(engine)
    with session_factory(engine).begin() as session:
        repo = TokenRepository(session)
        revoked = repo.create(project_id, name="old", role="admin")
        expired = repo.create(
            project_id, name="tmp", role="admin", expires_at=utcnow() - timedelta(seconds=1)
        )
        live = repo.create(project_id, name="live", role="admin")
        assert repo.revoke(revoked.info.token_id)
        assert not repo.revoke("nope")
    with session_factory(engine)() as session:
        repo = TokenRepository(session)
        assert repo.verify(revoked.secret) is None
        assert repo.verify(expired.secret) is None
        assert repo.verify(live.secret) is not None
        assert {t.token_id for t in repo.list(project_id)} == {
            expired.info.token_id,
            live.info.token_id,
        }


def test_user_roles_cap_tokens(engine: Engine) -> None:
    project_id = _project(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        user = catalog.create_user(f"u-{secrets.token_hex(6)}")
        catalog.set_role(project_id, user.id, "editor")
        assert catalog.role_of(user.id, project_id) == "editor"
        repo = TokenRepository(session)
        with pytest.raises(ParameterError, match="cannot create a token with role 'admin'"):
            repo.create(project_id, name="t", role="admin", user_id=user.id)
        token = repo.create(project_id, name="t", role="editor", user_id=user.id)
        catalog.set_role(project_id, user.id, "viewer")  # demoted
        info = repo.verify(token.secret)
        assert info is not None
        assert info.role == "viewer"


def test_role_order_and_validation() -> None:
    assert role_allows("admin", "editor")
    assert role_allows("viewer", "viewer")
    assert not role_allows("editor", "admin")
    with pytest.raises(
        ParameterError,
        match=r"The 'role' parameter of role_allows must be a str among \{'viewer', 'editor', 'admin'\}. Got 'owner' instead.",
    ):
        role_allows("owner", "viewer")


def test_catalog_lookups_and_uniqueness(engine: Engine) -> None:
    name = f"p-{secrets.token_hex(6)}"
    factory = session_factory(engine)
    with factory.begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project(name)
        model = catalog.create_model(project.id, "m")
        version = catalog.create_version(
            model.id, "1", VersionSchema({"x": "numeric"}), reference_profile=b"\x00profile"
        )
    with factory() as session:
        catalog = Catalog(session)
        assert catalog.project_by_name(name) is not None
        assert catalog.project_of_version(version.id) == project.id
        stored = catalog.get_version(version.id)
        assert stored is not None
        assert stored.reference_profile == b"\x00profile"
        assert catalog.schema_of(version.id) == VersionSchema({"x": "numeric"})
    with pytest.raises(IntegrityError), factory.begin() as session:
        Catalog(session).create_project(name)
    with factory.begin() as session, pytest.raises(ParameterError, match="No model"):
        Catalog(session).create_version("missing", "1", VersionSchema({"x": "numeric"}))
    with factory() as session:
        assert session.scalar(select(ApiToken).where(ApiToken.project_id == "none")) is None


def test_version_parameters_are_validated(engine: Engine) -> None:
    project_id = _project(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(project_id, "m")
        schema = VersionSchema({"x": "numeric"})
        with pytest.raises(ParameterError, match="'window_kind' parameter"):
            catalog.create_version(model.id, "1", schema, window_kind="weekly")  # type: ignore[arg-type]
        with pytest.raises(ParameterError, match="'window_size' parameter"):
            catalog.create_version(model.id, "1", schema, window_size=0)
        with pytest.raises(ParameterError, match="'role' parameter"):
            catalog.set_role(project_id, "u", "owner")  # type: ignore[arg-type]


def test_reference_profile_and_data_round_trip(engine: Engine) -> None:
    import pyarrow as pa

    from driftline.profiles import profile
    from driftline.testing import make_monitoring_data

    ref, _ = make_monitoring_data(300, seed=0)
    reference = profile(ref[["num_00", "cat_00"]])
    scores = pa.table({"score": ref["proba"].to_numpy(), "label": ref["target"].to_numpy()})
    project_id = _project(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(project_id, "m")
        version = catalog.create_version(
            model.id,
            "1",
            VersionSchema({"num_00": "numeric", "cat_00": "categorical"}),
            reference_profile=reference,
            reference_data=scores,
        )
    with session_factory(engine)() as session:
        catalog = Catalog(session)
        back = catalog.reference_profile(version.id)
        assert back is not None
        assert back.to_bytes() == reference.to_bytes()
        data = catalog.reference_data(version.id)
        assert data is not None
        assert data.equals(scores)
