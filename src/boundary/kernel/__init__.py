"""boundary.kernel."""
