"""Metrics: the port and its adapters (Prometheus exposition for the ops listener)."""
