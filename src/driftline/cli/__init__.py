"""The ``driftline`` command line: noun-verb commands, ``--json`` output, stable exit codes.

Exit codes: ``0`` ok, ``1`` a check failed (drift found, gate failed), ``2`` usage
or input error. Nothing else imports this package.
"""

from driftline.cli._app import app, main

__all__ = ["app", "main"]
