"""Drift over time: chunks by calendar period or size, one false-discovery family."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from driftline.drift import DriftDetector
from driftline.exceptions import DataError, ParameterError, SchemaMismatchError

WEEK = pd.Timedelta(days=7)


def _weeks(seed: int, weeks: int, rows_per_week: int, shifted: set[int]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")  # a Monday: ISO week 2024-W01
    frames = []
    for w in range(weeks):
        ts = start + w * WEEK + pd.to_timedelta(rng.uniform(0, 7 * 86400, rows_per_week), "s")
        x = rng.normal(0.5 if w in shifted else 0.0, 1.0, rows_per_week)
        c = rng.choice(["a", "b", "c"], rows_per_week, p=[0.5, 0.3, 0.2])
        frames.append(pd.DataFrame({"ts": ts, "x": x, "c": c}))
    return pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=seed)


def test_weekly_chunks_find_the_week_that_drifted() -> None:
    ref = _weeks(0, 4, 2_000, set()).drop(columns="ts")
    cur = _weeks(1, 6, 2_000, {3})
    report = DriftDetector().fit(ref).compare(cur, timestamp="ts", chunk_period="W")
    labels = [c.label for c in report.chunks]
    assert labels == ["2024-W01", "2024-W02", "2024-W03", "2024-W04", "2024-W05", "2024-W06"]
    assert [c.report.status for c in report.chunks] == ["no_drift"] * 3 + ["drift"] + [
        "no_drift"
    ] * 2
    assert report.chunks[3].report.drifted_columns == ["x"]
    first = report.chunks[0]
    assert first.start is not None
    assert first.end is not None
    assert first.start.startswith("2024-01-01T")  # first and last timestamp in the chunk
    assert first.end.startswith("2024-01-07T")
    assert all(c.report.n_current == 2_000 for c in report.chunks)
    assert report.status == "drift"
    assert "drift in 1 of 6 chunks" in report.summary()
    assert "chunk 2024-W04: x" in report.summary()


def test_the_fdr_family_spans_chunks_and_columns() -> None:
    ref = _weeks(0, 4, 1_000, set()).drop(columns="ts")
    cur = _weeks(1, 5, 1_000, set())
    report = DriftDetector().fit(ref).compare(cur, timestamp="ts", chunk_period="W")
    raw = [c.p_value for c in report.columns.values()]
    raw += [c.p_value for ch in report.chunks for c in ch.report.columns.values()]
    from scipy.stats import false_discovery_control

    expected = false_discovery_control(np.array(raw), method="bh")
    got = [c.p_value_adjusted for c in report.columns.values()]
    got += [c.p_value_adjusted for ch in report.chunks for c in ch.report.columns.values()]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_chunks_by_size_in_time_order_and_small_chunks() -> None:
    ref = _weeks(0, 2, 1_000, set()).drop(columns="ts")
    cur = _weeks(2, 2, 1_000, set())
    report = DriftDetector().fit(ref).compare(cur, timestamp="ts", chunk_size=900)
    assert [c.report.n_current for c in report.chunks] == [900, 900, 200]
    starts = [c.start for c in report.chunks]
    assert starts == sorted(starts)
    tiny = DriftDetector().fit(ref).compare(cur.head(50), chunk_size=20)
    assert [c.report.status for c in tiny.chunks] == ["not_enough_data"] * 3
    assert "3 chunk(s) with too few rows" in tiny.summary()


def test_rows_without_a_timestamp_are_counted_and_strings_are_parsed() -> None:
    ref = _weeks(0, 2, 500, set()).drop(columns="ts")
    cur = _weeks(3, 2, 500, set())
    cur["ts"] = cur["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    cur.iloc[:7, 0] = None
    report = DriftDetector().fit(ref).compare(cur, timestamp="ts", chunk_period="D")
    assert report.chunking is not None
    assert report.chunking["rows_without_timestamp"] == 7
    assert sum(c.report.n_current for c in report.chunks) == 993
    assert len(report.chunks) == 14


def test_chunked_reports_serialize_and_render(tmp_path: Path) -> None:
    ref = _weeks(0, 4, 1_000, set()).drop(columns="ts")
    cur = _weeks(1, 4, 1_000, {2})
    report = DriftDetector().fit(ref).compare(cur, timestamp="ts", chunk_period="W")
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert [c["label"] for c in payload["chunks"]] == [c.label for c in report.chunks]
    assert payload["chunking"]["period"] == "W"
    html = report.to_html(tmp_path / "t.html").read_text()
    assert "Over time" in html
    assert "columns drifted per chunk" in html
    assert "2024-W03" in html


def test_chunking_errors_are_clear() -> None:
    ref = _weeks(0, 1, 200, set()).drop(columns="ts")
    cur = _weeks(1, 1, 200, set())
    detector = DriftDetector().fit(ref)
    with pytest.raises(ParameterError, match=r"'chunk_period' parameter of .* must be a str among"):
        detector.compare(cur, timestamp="ts", chunk_period="fortnight")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="needs a timestamp"):
        detector.compare(cur, chunk_period="W")
    with pytest.raises(ParameterError, match="exactly one of"):
        detector.compare(cur, timestamp="ts", chunk_period="W", chunk_size=10)
    with pytest.raises(SchemaMismatchError, match="timestamp"):
        detector.compare(cur, timestamp="when", chunk_period="W")
    numbers = cur.assign(ts=np.arange(len(cur)))
    with pytest.raises(ParameterError, match="ambiguous"):
        detector.compare(numbers, timestamp="ts", chunk_period="W")
    words = cur.assign(ts=["soon"] * len(cur))
    with pytest.raises(DataError, match="not dates"):
        detector.compare(words, timestamp="ts", chunk_period="W")
    with pytest.raises(ParameterError, match="at most 1,000"):
        detector.compare(pd.concat([cur] * 6), timestamp="ts", chunk_size=1)


def test_calendar_periods_are_labelled() -> None:
    days = pd.date_range("2023-12-30", periods=120, freq="D")
    cur = pa.table({"t": pa.array(days.to_numpy()), "x": np.zeros(120)})
    ref = {"x": np.zeros(60)}
    detector = DriftDetector().fit(ref)
    weeks = [c.label for c in detector.compare(cur, timestamp="t", chunk_period="W").chunks]
    assert weeks[:3] == ["2023-W52", "2024-W01", "2024-W02"]
    months = [c.label for c in detector.compare(cur, timestamp="t", chunk_period="M").chunks]
    assert months == ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
    quarters = [c.label for c in detector.compare(cur, timestamp="t", chunk_period="Q").chunks]
    assert quarters == ["2023-Q4", "2024-Q1", "2024-Q2"]
    years = [c.label for c in detector.compare(cur, timestamp="t", chunk_period="Y").chunks]
    assert years == ["2023", "2024"]
