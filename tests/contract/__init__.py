"""Contract suites: one per port, run against its fake and every real adapter."""
