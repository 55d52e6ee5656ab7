"""SQL migrations: plain files in migrations/, planned by a pure core, applied by the shell."""
