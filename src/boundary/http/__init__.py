"""boundary.http."""
