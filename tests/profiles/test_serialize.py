"""Binary format: round trip, corruption, versions, bounded size."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from driftline.exceptions import SerializationError
from driftline.profiles import FORMAT_VERSION, DatasetProfile, profile
from driftline.profiles._categorical import MAX_KEY_CHARS
from driftline.testing import check_roundtrip, check_size_bound, make_monitoring_data

# Documented per-column bounds (docs/profiles.md), for k = 1024 and cap = 1024.
K, CAP = 2048, 1024
NUMERIC_BOUND = 8 * (3 * K + 512) + 1024
CATEGORICAL_BOUND = 4096 + CAP * (6 * MAX_KEY_CHARS + 24) + 1024
BOOLEAN_BOUND = 1024


def test_roundtrip_of_the_monitoring_data() -> None:
    ref, _ = make_monitoring_data(5_000)
    restored = check_roundtrip(profile(ref))
    assert restored.n_rows == 5_000
    assert restored.format_version == FORMAT_VERSION


def test_corrupt_truncated_and_foreign_bytes_are_rejected() -> None:
    payload = profile({"x": np.arange(100.0), "c": np.array(["a"] * 100)}).to_bytes()
    with pytest.raises(SerializationError, match="DLPROF"):
        DatasetProfile.from_bytes(b"PK\x03\x04" + payload)
    with pytest.raises(SerializationError, match="checksum"):
        DatasetProfile.from_bytes(payload[:-5])
    flipped = bytearray(payload)
    flipped[-1] ^= 0xFF
    with pytest.raises(SerializationError, match="checksum"):
        DatasetProfile.from_bytes(bytes(flipped))


def test_newer_format_version_asks_to_upgrade() -> None:
    payload = bytearray(profile({"x": np.arange(3.0)}).to_bytes())
    struct.pack_into("<H", payload, 6, FORMAT_VERSION + 1)
    with pytest.raises(SerializationError, match="Upgrade driftline"):
        DatasetProfile.from_bytes(bytes(payload))


def _column_size(data: dict[str, np.ndarray], name: str) -> int:
    full = len(profile(data).to_bytes())
    rest = {k: v for k, v in data.items() if k != name}
    return full - len(profile(rest).to_bytes()) if rest else full


def test_size_is_bounded_and_independent_of_row_count() -> None:
    rng = np.random.default_rng(0)
    sizes = {}
    for n in (100_000, 400_000):
        data = {
            "x": rng.normal(size=n),
            "c": np.char.add("k", rng.integers(0, 300, size=n).astype(str)),
            "b": rng.random(n) < 0.5,
        }
        p = profile(data)
        check_size_bound(p, NUMERIC_BOUND + CATEGORICAL_BOUND + BOOLEAN_BOUND + 1024)
        sizes[n] = {
            "x": len(profile({"x": data["x"]}).to_bytes()),
            "c": len(profile({"c": data["c"]}).to_bytes()),
            "b": len(profile({"b": data["b"]}).to_bytes()),
        }
        assert sizes[n]["x"] <= NUMERIC_BOUND
        assert sizes[n]["c"] <= CATEGORICAL_BOUND
        assert sizes[n]["b"] <= BOOLEAN_BOUND
    # 4x the rows: numeric grows by a KLL level at most, categorical not at all.
    assert sizes[400_000]["x"] <= 1.1 * sizes[100_000]["x"]
    assert abs(sizes[400_000]["c"] - sizes[100_000]["c"]) <= 2 * 300  # count digits only
    assert sizes[400_000]["b"] - sizes[100_000]["b"] <= 16


def test_worst_case_categorical_keys_stay_under_the_bound() -> None:
    # CAP keys seen twice and a few seen once: the summary keeps CAP long keys.
    heavy = [f"{i:06d}" + "\u0001" * 400 for i in range(CAP)]
    keys = np.array(heavy * 2 + [f"once{i}" for i in range(50)], dtype=object)
    p = profile({"c": keys}, schema={"c": "categorical"})
    assert check_size_bound(p, CATEGORICAL_BOUND + 1024) > 100_000
