"""Mergeable, serializable column profiles: the currency of monitoring.

Counts, nulls, moments, a quantile sketch, a distinct-count sketch, frequent items
and histograms per column, with ``profile(a) + profile(b) == profile(a ∪ b)``.
"""

__all__: list[str] = []
