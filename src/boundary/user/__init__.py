"""The user module: users, authentication, sessions, MFA and the audit log."""
