"""Account recovery and email verification: single-use mailed tokens (`account_tokens`) and
the services that issue and redeem them, queueing their mail in the same transaction."""
