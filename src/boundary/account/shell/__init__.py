"""Account shell: the `account_tokens` repository, the unit of work and the service."""
