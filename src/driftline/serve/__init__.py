"""The inference server for registered models: runtimes, adaptive micro-batching, logging."""

__all__: list[str] = []
