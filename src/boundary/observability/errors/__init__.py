"""Error reporting: the port, pure scrubbing and alert decisions, Sentry and no-op adapters."""
