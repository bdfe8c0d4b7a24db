"""The deployment gate: policy as code, champion/challenger comparison, ``GateReport``."""

__all__: list[str] = []
