"""Ingestion: the asset registry, API tokens, the event gate and the time-series store."""
