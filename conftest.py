"""Root pytest configuration, shared by the tests, the doctests in src/ and the docs."""

from __future__ import annotations

import os

# pytest-xdist already runs one worker per core; native thread pools on top of that
# (OpenMP in scikit-learn, BLAS) only oversubscribe the CPU and make timings erratic.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
