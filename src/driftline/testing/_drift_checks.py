"""Conformance checks for drift methods and streaming change detectors.

Run them over everything the registries and ``driftline.drift.__all__`` hold (as river's
``checks`` and scikit-learn's ``parametrize_with_checks`` do), so that a new method or
detector is checked the moment it exists. Each check raises ``AssertionError`` naming the
property that failed and returns ``None`` when all hold.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn

import numpy as np

from driftline.drift import ChangeDetector, DriftDetector, drift_methods
from driftline.exceptions import DataError, ParameterError

__all__ = ["check_change_detector", "check_drift_method"]


def change_detector_classes() -> dict[str, type]:
    """Every concrete streaming change detector exported by ``driftline.drift``."""
    import driftline.drift

    found = {}
    for name in driftline.drift.__all__:
        obj = getattr(driftline.drift, name)
        if inspect.isclass(obj) and obj is not ChangeDetector and hasattr(obj, "update_many"):
            found[name] = obj
    return found


def seeded(cls: type, seed: int = 0) -> Callable[[], Any]:
    """A no-argument factory of ``cls`` (with ``seed`` where the detector takes one)."""
    if "seed" in inspect.signature(cls).parameters:
        return partial(cls, seed=seed)
    return cls


def _fail(name: str, prop: str, detail: str) -> NoReturn:
    raise AssertionError(f"{name}: {prop} does not hold: {detail}")


def _samples(kind: str, seed: int, n: int, shift: bool) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    if kind == "numeric":
        return rng.normal(1.0 if shift else 0.0, 1.0, n)
    p = np.array([0.1, 0.6, 0.3]) if shift else np.array([0.5, 0.3, 0.2])
    return rng.choice(np.array(["a", "b", "c"]), size=n, p=p)


def _result(name: str, ref: Any, cur: Any) -> Any:
    report = DriftDetector(method={"x": name}).fit({"x": ref}).compare({"x": cur})
    return report, report.columns["x"]


def check_drift_method(name: str, *, n: int = 2_000, seed: int = 0) -> None:
    """Check a registered per-column drift method on every kind it declares.

    Identical samples give effect 0 and no drift; a large change is found; the p-value
    is ``None`` exactly for pure distances and otherwise a probability; the effect is the
    one the method declares, with that effect's threshold; row order changes nothing;
    the result serializes to strict JSON; a method that needs raw values refuses a
    profile with a clear :class:`~driftline.exceptions.ParameterError`, others accept one.

    >>> check_drift_method("ks")
    """
    methods = drift_methods()
    if name not in methods:
        _fail(name, "registration", f"no method {name!r} in {sorted(methods)}")
    method = methods[name]
    if not method.kinds:
        _fail(name, "kinds", "the method declares no column kind")
    for kind in sorted(method.kinds):
        ref = _samples(kind, seed, n, shift=False)
        _, same = _result(name, ref, ref[::-1].copy())
        if same.effect_name != method.effect:
            _fail(name, "declared effect", f"{same.effect_name!r} != {method.effect!r}")
        if same.effect_size is None or abs(same.effect_size) > 1e-9:
            _fail(name, f"zero effect on identical {kind} samples", f"got {same.effect_size!r}")
        if same.drifted:
            _fail(name, f"no drift on identical {kind} samples", "it drifted")
        if (same.p_value is None) == method.test:
            _fail(name, "p-value presence", f"test={method.test} but p_value={same.p_value!r}")
        cur = _samples(kind, seed + 1, n, shift=True)
        report, moved = _result(name, ref, cur)
        if not moved.drifted:
            _fail(name, f"a large {kind} change is found", f"{moved.to_dict()}")
        if moved.p_value is not None and not 0.0 <= moved.p_value <= 1.0:
            _fail(name, "p-value in [0, 1]", f"got {moved.p_value!r}")
        if moved.threshold != DriftDetector().thresholds[method.effect]:
            _fail(name, "threshold of the declared effect", f"got {moved.threshold!r}")
        rng = np.random.default_rng(seed)
        _, shuffled = _result(name, rng.permutation(ref), rng.permutation(cur))
        for field in ("statistic", "p_value", "effect_size"):
            a, b = getattr(moved, field), getattr(shuffled, field)
            if a is not None and b is not None and not math.isclose(a, b, rel_tol=1e-9):
                _fail(name, f"invariance of {field} under row order", f"{a!r} became {b!r}")
        try:
            json.dumps(report.to_dict(), allow_nan=False)
        except ValueError as exc:
            _fail(name, "strict JSON", str(exc))
        _check_profiles(name, method.needs_raw, ref, cur)


def _check_profiles(name: str, needs_raw: bool, ref: Any, cur: Any) -> None:
    from driftline.profiles import profile

    detector = DriftDetector(method={"x": name}).fit(profile({"x": ref}))
    try:
        col = detector.compare(profile({"x": cur})).columns["x"]
    except ParameterError:
        if not needs_raw:
            _fail(name, "works from profiles", "it refused a profile")
        return
    if needs_raw:
        _fail(name, "refuses profiles (needs raw values)", "it accepted one")
    if not col.drifted:
        _fail(name, "finds a large change from profiles", f"{col.to_dict()}")


def check_change_detector(
    make: Callable[[], ChangeDetector], *, shift: float = 3.0, max_delay: int = 300, seed: int = 0
) -> None:
    """Check a streaming change detector built by ``make()`` (a fresh one each call).

    The protocol (``update``/``update_many`` return the detector; ``n_seen``,
    ``detections``, read-only ``drift_detected``); ``update_many`` equals value-by-value
    ``update``; two fresh detectors agree (deterministic); a non-finite value raises
    :class:`~driftline.exceptions.DataError` and changes nothing; a step of ``shift``
    standard deviations is detected within ``max_delay`` values; a stationary stream of
    2,000 values raises at most a few alarms.

    >>> from driftline.drift import PageHinkley
    >>> check_change_detector(PageHinkley)
    """
    first = make()
    name = type(first).__name__
    if not isinstance(first, ChangeDetector):
        _fail(name, "the ChangeDetector protocol", "missing members")
    rng = np.random.default_rng(seed)
    stream = np.concatenate((rng.normal(0, 1, 1_000), rng.normal(shift, 1, 1_000)))
    if first.update(float(stream[0])) is not first or first.n_seen != 1:
        _fail(name, "update returns the detector and counts", f"n_seen={first.n_seen}")
    if first.update_many(stream[1:]) is not first or first.n_seen != stream.size:
        _fail(name, "update_many returns the detector and counts", f"n_seen={first.n_seen}")
    one_by_one = make()
    for value in stream.tolist():
        one_by_one.update(value)
    if one_by_one.detections != first.detections:
        _fail(name, "update_many equals update", f"{first.detections} vs {one_by_one.detections}")
    if make().update_many(stream).detections != first.detections:
        _fail(name, "determinism", "two fresh detectors disagree")
    late = [i for i in first.detections if i >= 1_000]
    if not late or late[0] - 1_000 > max_delay:
        _fail(name, f"a {shift:g} sd step is detected within {max_delay}", f"{first.detections}")
    try:
        first.drift_detected = True  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        _fail(name, "drift_detected is read-only", "it could be set")
    before = (first.n_seen, first.detections)
    for bad in (math.nan, math.inf):
        try:
            first.update(bad)
        except DataError:
            pass
        else:
            _fail(name, "non-finite values raise DataError", f"{bad!r} was accepted")
    if (first.n_seen, first.detections) != before:
        _fail(name, "a refused value changes nothing", "the state changed")
    quiet = make().update_many(np.random.default_rng(seed + 1).normal(0, 1, 2_000))
    if len(quiet.detections) > 5:
        _fail(name, "few false alarms on a stationary stream", f"{quiet.detections}")
