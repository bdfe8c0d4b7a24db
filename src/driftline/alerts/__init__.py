"""Alert rules, dedupe and cooldown, and notifiers (webhook, Slack-compatible, retrain hook)."""

__all__: list[str] = []
