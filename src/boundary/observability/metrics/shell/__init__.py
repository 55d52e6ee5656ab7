"""Metrics adapters (imperative shell): DogStatsD, Prometheus, fan-out."""
