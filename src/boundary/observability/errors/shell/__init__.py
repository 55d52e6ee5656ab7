"""Error-reporting adapters (imperative shell): Sentry, no-op, the failed-login watch."""
