"""Model and data security checks: evasion, membership inference, poisoning, extraction, PII."""

__all__: list[str] = []
