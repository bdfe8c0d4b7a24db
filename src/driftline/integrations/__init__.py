"""Profiles computed on a cluster: Dask and Spark.

:func:`driftline.integrations.dask.profile` and
:func:`driftline.integrations.spark.profile` profile every partition where it lives
(Dask ``map_partitions``, Spark ``mapInArrow``), ship each partition's profile as bytes,
and merge them on the driver in a balanced tree (:func:`merge_profiles`). The result
equals :func:`driftline.profile` of the same rows: exact fields exactly, sketches within
their stated bounds.

The one kind rule (:func:`driftline.tabular.infer_kind`) is applied once, on the driver,
before any partition is profiled: a ``schema`` fixes the columns it names, a typed column
takes its type's kind, and a string (or untyped) column is decided from its first
1,048,576 rows — the rows :func:`driftline.profile` decides from — or, when they are all
null, from its first non-null values. Every partition then profiles the column with that
kind, even when its own values are all null or of another Arrow type.

Each engine is imported lazily: ``pip install 'driftline[dask]'`` or
``'driftline[spark]'``.

>>> import numpy as np
>>> from driftline.profiles import profile
>>> parts = [profile({"x": np.arange(i, i + 4.0)}) for i in (0, 4, 8)]
>>> merge_profiles(parts).n_rows
12
"""

from driftline.integrations._core import merge_profiles

__all__ = ["merge_profiles"]
