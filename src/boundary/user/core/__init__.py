"""User core: pure decisions on plain data (no I/O, no clock, no frameworks)."""
