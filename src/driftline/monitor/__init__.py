"""Windows over the prediction stream and the results computed for each window."""

__all__: list[str] = []
