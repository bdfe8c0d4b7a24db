"""Dask, Spark, MLflow and OpenLineage integrations."""

__all__: list[str] = []
