"""Prometheus metrics of the whole platform at `/metrics` (docs/operations.md, CONTRACTS §17.5).

Here because it reads every layer: ingest counts and the spool (ingestion), the pipeline's
backlog (analytics) and alerts (assessment).
"""
