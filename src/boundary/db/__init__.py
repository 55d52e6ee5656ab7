"""The database layer: one async connection pool per process over SQLite, PostgreSQL or MySQL."""
