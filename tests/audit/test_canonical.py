"""RFC 8785 canonical JSON against the ``rfc8785`` package, and its refusals."""

from __future__ import annotations

import json
import math
import struct

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.audit import canonical_json
from driftline.exceptions import ParameterError

SAFE = 2**53 - 1
keys = st.text(max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-SAFE, SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


def _no_surrogates(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(values)
def test_matches_the_reference_implementation(value: object) -> None:
    if not _no_surrogates(value):
        with pytest.raises(ParameterError, match="surrogate"):
            canonical_json(value)
        return
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_every_double_bit_pattern_prints_as_ecmascript(bits: int) -> None:
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if not math.isfinite(x):
        return
    out = canonical_json(x)
    assert out == rfc8785.dumps(x)
    assert float(out) == x  # round-trips


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 8785 appendix B (ECMAScript number serialization samples)
        (0.0, b"0"),
        (-0.0, b"0"),
        (5e-324, b"5e-324"),
        (1.7976931348623157e308, b"1.7976931348623157e+308"),
        (9007199254740992.0, b"9007199254740992"),
        (1e21, b"1e+21"),
        (1e20, b"100000000000000000000"),
        (0.000001, b"0.000001"),
        (0.0000001, b"1e-7"),
        (333333333.3333333, b"333333333.3333333"),
        (-1.5, b"-1.5"),
        # strings: only what JSON needs is escaped, in lowercase hex; the rest is UTF-8
        ('\u20ac$\u000f\nA\'B"\\\\"/', '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()),
        ("\u007f\u2028", '"\u007f\u2028"'.encode()),
        # keys sorted by UTF-16 code units (U+E000 sorts after an astral character)
        ({"\ue000": 1, "\U0001f600": 2, "a": 3}, '{"a":3,"\U0001f600":2,"\ue000":1}'.encode()),
    ],
)
def test_rfc_samples(value: object, expected: bytes) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (float("nan"), "NaN or infinity"),
        ({"x": float("inf")}, r"\$\.x"),
        (2**53, "beyond"),
        ({1: "a"}, "keys are strings"),
        ({"a": {1, 2}}, "set"),
        ("\ud800", "surrogate"),
        (b"bytes", "bytes"),
    ],
)
def test_refuses_what_is_not_i_json(value: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        canonical_json(value)


def test_deep_nesting_is_refused() -> None:
    value: object = []
    for _ in range(100):
        value = [value]
    with pytest.raises(ParameterError, match="deeper"):
        canonical_json(value)
