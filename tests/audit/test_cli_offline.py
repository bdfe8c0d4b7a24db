"""``driftline audit verify`` / ``export`` in a subprocess, and the offline verifier of
docs/audit.md run where driftline cannot be imported."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cryptography
import pytest

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., subprocess.CompletedProcess[str]]


def _script(tmp_path: Path) -> Path:
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# verify_audit\.py.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    path = tmp_path / "verify_audit.py"
    path.write_text(blocks[0], encoding="utf-8")
    return path


def _offline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Python without site-packages processing: only cryptography (and cffi) importable."""
    site = str(Path(cryptography.__file__).resolve().parents[1])
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": site}
    probe = subprocess.run(
        [sys.executable, "-S", "-c", "import driftline"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert probe.returncode != 0
    assert "No module named 'driftline'" in probe.stderr
    return subprocess.run(
        [sys.executable, "-S", str(_script(tmp_path)), *args],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.fixture
def populated(run_cli: Run, tmp_path: Path) -> Path:
    assert run_cli("project", "create", "demo", "--json").returncode == 0
    assert run_cli("token", "create", "--project", "demo", "--role", "viewer").returncode == 0
    db = tmp_path / ".driftline" / "driftline.db"
    assert db.exists()
    assert (tmp_path / ".driftline" / "driftline.db.audit-key.pem").exists()
    return db


def test_verify_export_and_offline_check(run_cli: Run, populated: Path, tmp_path: Path) -> None:
    r = run_cli("audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "audit log ok: 3 entries" in r.stdout
    assert run_cli("audit", "export", "-o", "old.json").returncode == 0
    assert run_cli("token", "create", "--project", "demo").returncode == 0
    r = run_cli("audit", "export", "--project", "demo", "--since", "old.json", "-o", "new.json")
    assert r.returncode == 0, r.stderr
    new = json.loads((tmp_path / "new.json").read_text())
    key = new["checkpoint"]["public_key"]
    assert [e["event_type"] for e in new["entries"]] == [
        "project.created", "token.created", "token.created", "token.created",
    ]  # fmt: skip
    done = _offline(tmp_path, "new.json", key, "old.json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 4 entries")
    r = run_cli("audit", "verify", "--json", "--public-key", key, "--checkpoint", "old.json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["ok"] is True


def test_offline_check_refuses_forgeries(run_cli: Run, populated: Path, tmp_path: Path) -> None:
    assert run_cli("audit", "export", "-o", "old.json").returncode == 0
    assert run_cli("token", "create", "--project", "demo").returncode == 0
    assert run_cli("audit", "export", "--since", "old.json", "-o", "new.json").returncode == 0
    new = json.loads((tmp_path / "new.json").read_text())
    key = new["checkpoint"]["public_key"]

    def forged(change: Callable[[dict], None], name: str) -> str:
        doc = json.loads((tmp_path / "new.json").read_text())
        change(doc)
        (tmp_path / name).write_text(json.dumps(doc))
        return name

    def edit_record(doc: dict) -> None:
        doc["entries"][1]["record"] = doc["entries"][1]["record"].replace('"role":"', '"role":"x')

    def edit_size(doc: dict) -> None:
        doc["checkpoint"]["tree_size"] += 1

    def drop_proof(doc: dict) -> None:
        doc["consistency_proof"]["path"] = doc["consistency_proof"]["path"][1:]

    for change, reason in (
        (edit_record, "entry 1 is not in the signed log"),
        (edit_size, "not signed by this public key"),
        (drop_proof, "rewritten since the old checkpoint"),
    ):
        done = _offline(tmp_path, forged(change, "f.json"), key, "old.json")
        assert done.returncode == 1, (reason, done.stderr)
        assert reason in done.stderr, (reason, done.stderr)
    other = "11" * 32
    assert _offline(tmp_path, "new.json", other).returncode == 1


def test_verify_reports_tampering_with_exit_1(run_cli: Run, populated: Path) -> None:
    conn = sqlite3.connect(populated)
    record = conn.execute("SELECT record FROM audit_entries WHERE seq = 2").fetchone()[0]
    assert b'"role":"viewer"' in record
    conn.execute(
        "UPDATE audit_entries SET record = ? WHERE seq = 2",
        (record.replace(b"viewer", b"admin"),),
    )
    conn.commit()
    conn.close()
    r = run_cli("audit", "verify")
    assert r.returncode == 1
    assert "TAMPERED" in r.stdout
    assert "edited: Entry 2 was edited" in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("audit", "verify", "--public-key", "zz"), "--public-key must be 64 hex digits"),
        (("audit", "verify", "--checkpoint", "missing.json"), "not a readable JSON file"),
        (("audit", "export", "--project", "nope"), "No project named 'nope'"),
        (("audit", "verify", "--nope"), "No such option"),
    ],
)
def test_usage_errors_exit_2(run_cli: Run, args: tuple[str, ...], message: str) -> None:
    r = run_cli(*args)
    assert r.returncode == 2
    assert message in r.stderr


def test_since_a_longer_checkpoint_is_refused(
    run_cli: Run, populated: Path, tmp_path: Path
) -> None:
    assert run_cli("audit", "export", "-o", "cp.json").returncode == 0
    doc = json.loads((tmp_path / "cp.json").read_text())
    doc["checkpoint"]["tree_size"] = 99
    (tmp_path / "cp.json").write_text(json.dumps(doc))
    r = run_cli("audit", "export", "--since", "cp.json")
    assert r.returncode == 2
    assert "truncated or rolled back" in r.stderr
    r = run_cli("audit", "verify", "--checkpoint", "cp.json")
    assert r.returncode == 1
    assert "checkpoint" in r.stderr
