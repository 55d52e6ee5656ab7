"""Metrics adapters (imperative shell): DogStatsD, Prometheus, fan-out and no-op, the bundle
`build_system` builds from the settings (`build.py`), and health as gauges (`health.py`)."""
