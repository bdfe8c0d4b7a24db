from __future__ import annotations

import time
import uuid

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.store import _uuid7
from driftline.store._uuid7 import uuid7, uuid7_strings


def _check_format(value: uuid.UUID) -> None:
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert (value.int >> 76) & 0xF == 0x7
    assert (value.int >> 62) & 0b11 == 0b10


def test_single_id_format_and_time() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    _check_format(value)
    assert before <= value.int >> 80 <= after + 1


def test_strings_are_canonical_and_parse() -> None:
    ids = uuid7_strings(1000)
    assert ids.dtype == np.dtype("<U36")
    for text in ids[:50]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        _check_format(parsed)
    assert len(set(ids.tolist())) == 1000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=12))
def test_ids_sort_in_generation_order(sizes: list[int]) -> None:
    generated: list[str] = []
    for size in sizes:
        if size == 0:
            generated.append(str(uuid7()))
        else:
            generated.extend(uuid7_strings(size).tolist())
    assert generated == sorted(generated)
    assert len(set(generated)) == len(generated)
    as_ints = [uuid.UUID(g).int for g in generated]
    assert as_ints == sorted(as_ints)
    for g in generated[:: max(1, len(generated) // 20)]:
        _check_format(uuid.UUID(g))


def test_monotonic_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = uuid7()
    real = time.time_ns()
    monkeypatch.setattr(time, "time_ns", lambda: real - 10**12)  # 1000 s earlier
    later = [uuid7(), *(uuid.UUID(s) for s in uuid7_strings(5))]
    assert all(a < b for a, b in zip([first, *later], later, strict=False))
    for value in later:
        _check_format(value)


def test_counter_overflow_moves_to_the_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = time.time_ns() + 10**12
    monkeypatch.setattr(time, "time_ns", lambda: fixed)
    first = uuid7()
    monkeypatch.setitem(_uuid7._state, "counter", (1 << 74) - 2)
    nxt = uuid.UUID(uuid7_strings(3)[-1])
    assert nxt > first
    assert nxt.int >> 80 == (fixed // 1_000_000) + 1
    _check_format(nxt)


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        uuid7_strings(-1)
