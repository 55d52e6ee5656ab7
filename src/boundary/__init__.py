"""Boundary: a users/authentication API service whose operational behaviour is first-class."""

__version__ = "1.0.0"
