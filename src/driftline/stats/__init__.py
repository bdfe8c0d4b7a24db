"""Pure statistical functions over arrays, counts or sketches.

Two-sample tests, distances, effect sizes and multiple-testing corrections.
No I/O and no state: classes elsewhere wrap these functions.
"""

__all__: list[str] = []
