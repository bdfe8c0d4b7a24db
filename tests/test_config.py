from __future__ import annotations

from pathlib import Path

import pytest

from driftline._config import load_settings
from driftline.exceptions import ParameterError


def test_defaults_without_file_or_env() -> None:
    settings = load_settings(environ={}, config_path=None)
    assert settings.values.database_url == "sqlite:///./.driftline/driftline.db"
    assert set(settings.sources.values()) == {"default"}


def test_file_then_env_precedence(tmp_path: Path) -> None:
    path = tmp_path / "driftline.yaml"
    path.write_text("log_level: warning\ndatabase_url: sqlite:///x.db\n")
    settings = load_settings(
        environ={"DRIFTLINE_DATABASE_URL": "postgresql+psycopg://localhost/test"},
        config_path=path,
    )
    assert settings.values.log_level == "warning"
    assert settings.sources["log_level"] == f"file {path}"
    assert settings.values.database_url == "postgresql+psycopg://localhost/test"
    assert settings.sources["database_url"] == "env DRIFTLINE_DATABASE_URL"


def test_auto_reads_the_file_named_by_env(tmp_path: Path) -> None:
    path = tmp_path / "conf.yaml"
    path.write_text("allow_pickle: true\n")
    settings = load_settings(environ={"DRIFTLINE_CONFIG": str(path)})
    assert settings.values.allow_pickle is True
    assert settings.config_path == str(path)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("log_level: loud\n", "log_level"),
        ("colour: blue\n", "colour"),
        ("- a list\n", "must hold a mapping"),
        ("log_level: [unclosed\n", "Cannot read"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "driftline.yaml"
    path.write_text(content)
    with pytest.raises(ParameterError, match=needle):
        load_settings(environ={}, config_path=path)


def test_missing_config_file_from_env_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="not a file"):
        load_settings(environ={"DRIFTLINE_CONFIG": str(tmp_path / "nope.yaml")})
