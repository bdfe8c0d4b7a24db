"""The quickstart: driftline's whole loop, as far as it is built, on a generated demo.

It trains a credit-default classifier on generated data, scores a reference period
and a production period in which covariate drift and silent accuracy decay set in,
runs every capability driftline has on them, and writes a self-contained HTML
report. Nothing is downloaded. ``driftline quickstart`` runs it from the shell.
"""

from driftline.quickstart._run import QuickstartResult, StepDone, StepStart, run_quickstart
from driftline.quickstart._scenario import CreditScenario, make_credit_scenario
from driftline.quickstart._story import Finding

__all__ = [
    "CreditScenario",
    "Finding",
    "QuickstartResult",
    "StepDone",
    "StepStart",
    "make_credit_scenario",
    "run_quickstart",
]
