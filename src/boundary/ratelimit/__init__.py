"""Rate limits (§5): per-IP public, per-user authenticated and per-IP login-failure limits.

`core` decides (quotas, `Allow | Deny` values, headers, the client IP, the failure mode);
`ports` names what a limiter offers; `shell` holds the `limits`-based limiter over memory or
Redis storage, the ASGI middleware and the login guard.
"""
