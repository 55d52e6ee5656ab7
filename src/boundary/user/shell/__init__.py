"""User shell: services, persistence, crypto and HTTP for the user module."""
