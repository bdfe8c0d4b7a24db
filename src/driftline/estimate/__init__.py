"""Label-free performance estimation (CBPE for classifiers, DLE for regressors)."""

__all__: list[str] = []
