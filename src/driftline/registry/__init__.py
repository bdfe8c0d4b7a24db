"""Models, versions, aliases, datasets with fingerprints, lineage, model cards and approvals."""

__all__: list[str] = []
