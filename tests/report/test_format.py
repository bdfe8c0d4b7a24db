"""Numbers, shares, counts and dates as people write them, and the axes that use them."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

from driftline.report import (
    Line,
    bar_chart,
    format_count,
    format_date,
    format_number,
    format_p_value,
    format_percent,
    format_period,
    histogram_chart,
    line_chart,
    plural,
)
from driftline.report._scale import time_ticks

_RAW = re.compile(r"\d(?:\.\d+)?e[+-]\d", re.IGNORECASE)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (52270.4, "52,270"), (5.227e4, "52,270"), (1234567, "1,234,567"), (-52270.0, "-52,270"),
        (12.345, "12.3"), (0.5, "0.5"), (0.000123456, "0.000123"), (0.0, "0"), (-0.0, "0"),
        (2.5e-9, "2.5 × 10⁻⁹"), (None, "—"), (math.nan, "—"), (np.float64(3.0), "3"),
        (np.int64(7), "7"), (math.inf, "∞"),
    ],
)  # fmt: skip
def test_numbers_read_as_people_write_them(value: object, text: str) -> None:
    assert format_number(value) == text


def test_no_value_ever_shows_raw_exponent_notation() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [10.0 ** rng.uniform(-12, 17, 2_000), -(10.0 ** rng.uniform(-12, 17, 200))]
    )
    for v in values:
        assert not _RAW.search(format_number(v)), v
        assert not _RAW.search(format_p_value(abs(v))), v


def test_percentages_never_round_a_real_share_to_zero_or_all() -> None:
    assert [format_percent(v) for v in (0.1234, 0.00004, 0.99996, 1.0, 0)] == [
        "12.3%", "< 0.1%", "> 99.9%", "100%", "0%",
    ]  # fmt: skip


def test_plurals_and_counts() -> None:
    assert [format_count(n, "column") for n in (0, 1, 2, 1200)] == [
        "0 columns", "1 column", "2 columns", "1,200 columns",
    ]  # fmt: skip
    assert plural(2, "category") == "categories"
    assert plural(2, "day") == "days"
    assert plural(2, "match") == "matches"
    assert plural(1, "was") == "was"


def test_dates_from_every_representation_agree() -> None:
    stamp = pd.Timestamp("2024-03-15", tz="UTC")
    for value in (stamp, stamp.to_pydatetime(), stamp.timestamp(), np.datetime64("2024-03-15"),
                  "2024-03-15", dt.date(2024, 3, 15)):  # fmt: skip
        assert format_date(value) == "2024-03-15"
    assert format_date(pd.NaT) == "—"
    assert format_period(stamp, stamp + pd.Timedelta(days=150)) == "Mar–Aug 2024"


def test_time_axis_ticks_are_calendar_dates() -> None:
    lo = pd.Timestamp("2024-01-01", tz="UTC").timestamp()
    days = time_ticks(lo, lo + 20 * 86_400)
    assert [label for _, label in days][:2] == ["1 Jan 2024", "8 Jan"]  # ISO weeks, Mondays
    years = time_ticks(lo, lo + 6 * 365 * 86_400)
    assert [label for _, label in years][:2] == ["2024", "2025"]
    hours = time_ticks(lo, lo + 6 * 3_600)
    assert hours[0][1] == "1 Jan 2024 00:00"


def test_datetime_histogram_is_labelled_with_dates_not_epoch_seconds() -> None:
    days = pd.date_range("2024-01-01", "2024-06-30", freq="D", tz="UTC")
    seconds = np.array([d.timestamp() for d in days])
    counts, edges = np.histogram(seconds, bins=30)
    svg = histogram_chart("signup", edges.tolist(), [("ref", counts.tolist())], x_format="datetime")
    labels = re.findall(r">([^<>]+)</text>", svg)
    assert "Jan 2024" in labels or "Feb 2024" in labels
    assert not any(_RAW.search(t) for t in labels)
    assert not any(t.startswith("1.7") for t in labels)


def test_integer_column_is_bars_not_a_comb() -> None:
    values = np.random.default_rng(0).poisson(1.3, 5_000)
    counts, edges = np.histogram(values, bins=30)
    assert (counts == 0).sum() > 15  # the comb
    svg = histogram_chart("children", edges.tolist(), [("reference", counts.tolist())])
    assert "<path" not in svg
    bars = re.findall(r"<rect [^>]*><title>reference, (\d+):", svg)
    assert bars == [str(v) for v in range(int(values.min()), int(values.max()) + 1)]
    continuous = np.random.default_rng(1).normal(size=5_000)
    counts, edges = np.histogram(continuous, bins=30)
    assert "<path" in histogram_chart("x", edges.tolist(), [("r", counts.tolist())])
    assert "<path" in histogram_chart(
        "x", [0, 0.5, 1, 1.5, 2], [("r", [4, 0, 3, 1])], discrete=False
    )


def test_axes_write_business_numbers_and_shares() -> None:
    svg = line_chart("income", ["a", "b"], [Line("mean", [52_270.0, 61_000.0])])
    assert "52,500" in svg
    assert not _RAW.search(svg)
    shares = bar_chart("share", ["a", "b"], [("ref", [0.25, 0.75])], y_label="share of rows")
    assert "75%" in shares or "80%" in shares
