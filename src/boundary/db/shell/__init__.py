"""Database shell: SQLAlchemy Core (async) engine, pool and unit of work."""
