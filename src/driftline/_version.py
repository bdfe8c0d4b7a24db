"""The single source of driftline's version (read by hatchling and at runtime)."""

__version__ = "0.1.0.dev0"
