"""What the CLI prints on standard error (issues 11.18, 13.17, 13.18).

Errors quote data files (a CSV line, a column name): what reaches the terminal is
sanitized and cut; every command writes its files under one rule (parent folders
created, a folder refused, before any work); every command reads text the same way;
no message is a bare exception class name; unknown ``--columns`` are an error and
unknown ``--exclude`` a warning, both with a did-you-mean; the gate prints one plain
line per check when standard output is not a terminal.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from driftline.cli import main
from driftline.cli._app import error_message
from driftline.cli._output import MAX_MESSAGE, sanitize

RunCli = Callable[..., subprocess.CompletedProcess[str]]

POLICY = """\
name: messages
target: target
candidate_column: proba
checks:
  - kind: metric
    metric: roc_auc
    min: 0.99
  - kind: metric
    metric: accuracy
    min: 0.5
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``driftline ARGS`` in this process; return its exit code, stdout and stderr."""
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    else:  # pragma: no cover - main always exits
        code = 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ref.csv / cur.csv (with target and scores), pred.csv (the scores), a gate policy."""
    from driftline.testing import make_monitoring_data

    monkeypatch.chdir(tmp_path)
    ref, cur = make_monitoring_data(600, drift=False, seed=3)
    ref.to_csv("ref.csv", index=False)
    cur.to_csv("cur.csv", index=False)
    cur[["proba"]].to_csv("pred.csv", index=False)
    Path("policy.yaml").write_text(POLICY)
    return tmp_path


GATE = ("gate", "run", "--policy", "policy.yaml", "--candidate", "pred.csv", "--data", "cur.csv")
ESTIMATE = ("estimate", "ref.csv", "cur.csv", "--score", "proba", "--target", "target")
EVALUATE = ("evaluate", "cur.csv", "--target", "target", "--score", "proba")


# --- 11.18: what a crafted file can make the CLI print ----------------------------------


def test_terminal_escapes_from_a_csv_line_are_shown_not_interpreted(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("evil.csv").write_text("a,b\n1,2\n3,\x1b[31mEVIL\x1b]0;owned\x07\x9b2J,5\n")
    for args in (("profile", "evil.csv"), ("drift", "ref.csv", "evil.csv")):
        code, _out, err = cli(capsys, *args)
        assert code == 2, err
        assert "\x1b" not in err
        assert "\x07" not in err
        assert "\x9b" not in err
        assert "\\x1b[31mEVIL" in err  # visible, so the user sees what the file holds
        assert "\\x07" in err
        assert "\\x9b" in err
        assert len(err.strip().splitlines()) == 1


def test_an_overlong_csv_line_is_cut_in_the_middle_keeping_the_fix(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("long.csv").write_text("a," + "x" * 20_000 + "\n1,2\n")
    code, _, err = cli(capsys, "profile", "long.csv", "--columns", "nope")
    assert code == 2
    line = err.strip()
    assert len(line.splitlines()) == 1
    assert len(line) <= MAX_MESSAGE
    assert line.startswith("error: --columns names column(s) ['nope'] that the data file")
    assert "characters cut" in line
    assert line.endswith("xxx'].")  # the end survives the cut


def test_sanitize_keeps_lines_of_a_summary_but_escapes_controls() -> None:
    assert sanitize("a\nb\x1b[2J", limit=None, one_line=False) == "a\nb\\x1b[2J"
    assert sanitize("right\u202eleft") == "right\\u202eleft"
    assert sanitize("x" * 10, limit=None) == "x" * 10


def test_every_output_is_written_under_one_rule_missing_folders_are_created(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rule: parent folders of --out/--html/--markdown/--junit are created (as CI
    report folders do not exist in a fresh checkout); before, ``profile --out`` failed
    where ``drift --html`` created them."""
    runs = {
        "profile-out": (("profile", "ref.csv", "--out"), "new/p/ref.dlprof"),
        "profile-html": (("profile", "ref.csv", "--html"), "new/ph/p.html"),
        "drift": (("drift", "ref.csv", "cur.csv", "--html"), "new/d/d.html"),
        "evaluate": ((*EVALUATE, "--html"), "new/e/e.html"),
        "estimate": ((*ESTIMATE, "--html"), "new/s/s.html"),
        "gate-md": ((*GATE, "--markdown"), "new/g/g.md"),
        "gate-junit": ((*GATE, "--junit"), "new/j/j.xml"),
        "gate-html": ((*GATE, "--html"), "new/h/h.html"),
    }
    for name, (args, target) in runs.items():
        code, _, err = cli(capsys, *args, target)
        assert code in (0, 1), (name, err)
        assert Path(target).is_file(), name


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("profile", "ref.csv", "--out", "."), "--out"),
        (("profile", "ref.csv", "--html", "."), "--html"),
        (("drift", "ref.csv", "cur.csv", "--html", "."), "--html"),
        ((*EVALUATE, "--html", "."), "--html"),
        ((*ESTIMATE, "--html", "."), "--html"),
        ((*GATE, "--junit", "."), "--junit"),
        (("profile", "ref.csv", "--out", "ref.csv/x.dlprof"), "--out"),
    ],
)
def test_an_output_path_that_cannot_be_a_file_is_refused_in_words(
    data: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], option: str
) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert out == ""  # refused before any work
    assert err.startswith(f"error: {option} ")
    assert "Error:" not in err  # no IsADirectoryError / NotADirectoryError
    assert len(err.strip().splitlines()) == 1


def test_every_command_refuses_invalid_utf8_the_same_way(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv("cur.csv")
    frame["cat_00"] = frame["cat_00"] + "\xe9"
    frame.to_csv("latin.csv", index=False, encoding="latin-1")
    runs = [
        ("profile", "latin.csv"),
        ("drift", "ref.csv", "latin.csv"),
        ("evaluate", "latin.csv", "--target", "target", "--score", "proba"),
        ("estimate", "ref.csv", "latin.csv", "--score", "proba", "--target", "target"),
        ("gate", "run", "--policy", "policy.yaml", "--candidate", "pred.csv", "--data",
         "latin.csv"),
    ]  # fmt: skip
    messages = set()
    for args in runs:
        code, _, err = cli(capsys, *args)
        assert code == 2, (args, err)
        assert "--encoding latin-1" in err, args
        messages.add(err)
    assert len(messages) == 1, messages
    code, _, err = cli(capsys, *runs[2], "--encoding", "latin-1")
    assert code == 0, err


def test_no_message_is_a_bare_exception_class_name(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow as pa

    assert not error_message(IsADirectoryError(21, "Is a directory", "/tmp")).startswith("Is")
    assert error_message(IsADirectoryError(21, "Is a directory", "/tmp")).startswith(
        "Cannot use a file or folder ('/tmp'): Is a directory."
    )
    assert error_message(pa.ArrowInvalid("bad data")).startswith(
        "Cannot process the data: bad data."
    )
    assert error_message(pa.ArrowTypeError("wrong type")).startswith("Cannot process the data")
    assert error_message(ValueError("bad")).startswith("Invalid value: bad.")
    code, _, err = cli(capsys, "profile", "ref.csv", "--out", ".")
    assert code == 2
    assert "IsADirectoryError" not in err


# --- 13.18: unknown column names, in the command line's words ------------------------------


def test_unknown_columns_are_an_error_with_a_did_you_mean_on_every_command(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = [
        (("profile", "ref.csv", "--columns", "num_00,nm_00"), "--columns", "nm_00", "num_00"),
        (("profile", "cur.csv", "--reference", "ref.csv", "--columns", "Cat_01"), "--columns",
         "Cat_01", "cat_01"),
        (("drift", "ref.csv", "cur.csv", "--columns", "nmu_01"), "--columns", "nmu_01", "num_01"),
        ((*ESTIMATE, "--features", "num_00,nun_02"), "--features", "nun_02", "num_02"),
        ((*EVALUATE, "--slices", "cta_00"), "--slices", "cta_00", "cat_00"),
        (("evaluate", "cur.csv", "--target", "targt", "--score", "proba"), "--target", "targt",
         "target"),
    ]  # fmt: skip
    for args, option, wrong, right in runs:
        code, _, err = cli(capsys, *args)
        assert code == 2, (args, err)
        assert option in err, err
        assert repr(wrong) in err, err
        assert f"did you mean {right!r}?" in err, err
        assert "DriftDetector" not in err
        assert "columns=[" not in err
        assert len(err.strip().splitlines()) == 1


def test_saved_profiles_honour_columns(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "profile", "ref.csv", "--out", "ref.dlprof")[0] == 0
    code, out, _ = cli(capsys, "profile", "ref.dlprof", "--columns", "num_00,cat_00", "--json")
    assert code == 0
    assert "num_00" in out
    assert "num_01" not in out
    code, _, err = cli(capsys, "profile", "ref.dlprof", "--columns", "num_00x")
    assert code == 2
    assert "did you mean 'num_00'?" in err


def test_an_unknown_exclude_is_a_warning_with_a_did_you_mean(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "drift", "ref.csv", "cur.csv", "--exclude", "proba,y_pred,targt")
    assert code in (0, 1), err
    assert out.startswith(("No drift", "Drift"))
    assert err.strip() == (
        "warning: --exclude targt: the reference file has no such column "
        "(did you mean 'target'?); nothing was excluded for it."
    )


def test_a_lacking_column_names_the_cli_options_not_the_api(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd.read_csv("cur.csv").drop(columns=["num_03"]).to_csv("less.csv", index=False)
    code, _, err = cli(capsys, "drift", "ref.csv", "less.csv")
    assert code == 2
    assert "use --columns/--exclude" in err
    assert "DriftDetector" not in err


# --- 13.17: the gate in a CI log ---------------------------------------------------------


def test_the_gate_prints_one_plain_line_per_check_without_a_tty(
    data: Path, run_cli: RunCli
) -> None:
    """Before, a rich table wrapped at the terminal width: 8-20 lines per reason in CI."""
    result = run_cli(*GATE, env={"COLUMNS": "40"})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("driftline gate: FAIL (1 passed, 0 warnings, 1 failed)")
    assert lines[1].split()[:3] == ["status", "check", "observed"]
    checks = lines[2:4]
    assert [line.split()[0] for line in checks] == ["FAIL", "PASS"]
    assert all(line.endswith(", n=600)") for line in checks), lines  # the reason, same line
    assert "─" not in result.stdout
    assert "│" not in result.stdout
    assert not [line for line in lines[4:] if not line.startswith("note:")]
