"""In-memory fakes of the ports, for service tests: each passes its port's contract suite."""
