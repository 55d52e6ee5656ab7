"""boundary.ops."""
