"""Observability: logging, metrics and error reporting adapters."""
