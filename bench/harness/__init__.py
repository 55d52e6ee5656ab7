"""bench/run.py's parts: the servers (procs), wrk (load), the rows and targets (rows), the table."""
