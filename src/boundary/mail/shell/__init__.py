"""Mail shell: transports (SMTP, log), the outbox repository, the sender and the wiring."""
