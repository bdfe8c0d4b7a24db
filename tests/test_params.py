"""The declarative parameter validation of ``driftline._params``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftline._params import BOOLEAN, InstanceOf, Interval, Options, check, invalid_value
from driftline.exceptions import ParameterError


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Interval("real", 0, 1, closed="neither"), [0.5, 1e-9, np.float32(0.3)], [0, 1, -1, 2]),
        (Interval("real", 0, 1, closed="both"), [0, 1, 0.5], [-1e-9, 1.0000001]),
        (Interval("real", 0, None, closed="left"), [0, 1e300], [-1, math.inf]),
        (Interval("int", 1, None), [1, 10**12, np.int64(3)], [0, 1.0, 2.5, True]),
        (Interval("int", 1, 5, closed="right"), [2, 5], [1, 6]),
        (Options("a", "b"), ["a", "b"], ["c", 1, None, b"a"]),
        (BOOLEAN, [True, False, np.bool_(True)], [0, 1, "true", None]),
        (InstanceOf((str, bytes), "a str or bytes"), ["x", b"x"], [1, None]),
    ],
)
def test_constraints(constraint: object, good: list[object], bad: list[object]) -> None:
    for value in good:
        assert check("Owner", "p", value, constraint) == value
    for value in bad:
        with pytest.raises(ParameterError, match=r"The 'p' parameter of Owner must be"):
            check("Owner", "p", value, constraint)


def test_nan_and_bool_are_never_numbers() -> None:
    for value in (math.nan, True, False):
        with pytest.raises(ParameterError):
            check("O", "x", value, Interval("real", None, None))


def test_conversion() -> None:
    assert type(check("O", "x", np.int64(3), Interval("int", 0, None))) is int
    assert type(check("O", "x", 3, Interval("real", 0, None))) is float
    assert type(check("O", "x", np.bool_(True), BOOLEAN)) is bool


def test_message_names_owner_allowed_values_and_received_value() -> None:
    constraints = (Interval("int", 1, None), Options("auto"), None)
    with pytest.raises(ParameterError) as info:
        check(object(), "n_jobs", -3, *constraints)
    assert str(info.value) == (
        "The 'n_jobs' parameter of object must be an int in the range [1, inf), "
        "a str among {'auto'} or None. Got -3 instead."
    )


def test_did_you_mean() -> None:
    with pytest.raises(ParameterError, match=r"Did you mean 'bonferroni'\?"):
        check("DriftDetector", "correction", "bonferoni", Options("fdr_bh", "bonferroni"))


@given(
    st.one_of(
        st.lists(st.sampled_from([None, BOOLEAN, Options("x", "y")]), min_size=1),
        st.builds(
            lambda lo, width, closed: [Interval("real", lo, lo + width, closed=closed)],
            st.floats(-100, 100),
            st.floats(0.1, 100),
            st.sampled_from(["left", "right", "both", "neither"]),
        ),
    )
)
def test_invalid_value_violates_every_constraint(constraints: list[object]) -> None:
    value = invalid_value(constraints)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        check("O", "p", value, *constraints)  # type: ignore[arg-type]
