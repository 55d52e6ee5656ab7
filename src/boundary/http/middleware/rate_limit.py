"""Rate-limit middleware (shell, plain ASGI): client IP, then the per-IP or per-user limit.

Sits inside the edge (after correlation id, access log and security headers), so a 429 is
logged, carries the correlation id and the security headers like any other answer. For every
HTTP request it:

1. resolves the client IP (`kernel.client_ip`: the peer, or the right-most untrusted
   `X-Forwarded-For` hop behind a trusted proxy) into `scope["state"]["client_ip"]`, where
   the access log and audit rows read it — also when limiting is off;
2. skips exempt paths (health, metrics, docs, test routes);
3. picks the limit: per user (`user:<sub>`) when a Bearer token verifies — one HMAC, no
   database — else (and always on the public login and refresh endpoints) per client IP; a
   per-route override replaces either, with its own counter;
4. answers 429 with `Retry-After` and the RateLimit headers, or passes the request on with
   the RateLimit headers left in `scope["state"]` for the edge to add to its response.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from boundary.http.errors import (
    RESPONSE_HEADERS_STATE_KEY,
    VERIFIED_BEARER_STATE_KEY,
    send_problem,
)
from boundary.kernel import client_ip as client_addresses
from boundary.kernel.problems import Problem, standard_problem
from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics
from boundary.ratelimit import core
from boundary.ratelimit.core import Deny, Quota, RouteOverrides
from boundary.ratelimit.ports import Limiter
from boundary.ratelimit.shell import RateLimiting
from boundary.ratelimit.shell.report import report_exceeded

PER_IP_PATHS: Final = frozenset({"/api/v1/auth/login", "/api/v1/auth/refresh"})
"""Public endpoints: always the per-IP budget, even with a Bearer token attached, which would
otherwise let any still-valid token move a client onto the larger per-user budget."""


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, object] | None: ...


def too_many_requests(decision: Deny) -> Problem:
    """The 429 problem, carrying `Retry-After` and the RateLimit headers."""
    return standard_problem(
        429,
        detail=f"Rate limit exceeded; retry in {decision.retry_after} seconds.",
        headers=core.headers(decision),
    )


class RateLimitMiddleware:
    """Client IP for every request; per-IP / per-user limits for non-exempt ones."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter | None,
        public: Quota,
        authenticated: Quota,
        tokens: TokenVerifier,
        logger: Logger,
        metrics: Metrics,
        trusted_proxies: Iterable[str] = (),
        overrides: Mapping[tuple[str, str], Quota] | None = None,
        per_ip_paths: Iterable[str] = PER_IP_PATHS,
    ) -> None:
        """`limiter=None` resolves the client IP only (rate limiting disabled)."""
        if not callable(getattr(tokens, "verify", None)):
            raise TypeError("RateLimitMiddleware: tokens needs a verify(token) method")
        self.app = app
        self._limiter = limiter
        self._public = public
        self._authenticated = authenticated
        self._tokens = tokens
        self._log = logger
        self._metrics = metrics
        self._trusted = client_addresses.parse_networks(trusted_proxies)
        self._overrides = RouteOverrides(overrides)
        self._per_ip_paths = frozenset(per_ip_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization, forwarded_for = _headers(scope)
        client = scope.get("client")
        ip = client_addresses.client_ip(client[0] if client else None, forwarded_for, self._trusted)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["client_ip"] = ip
        if self._limiter is None or core.is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        quota, key, user_id, route = self._subject(scope, state, ip, authorization)
        decision = await self._limiter.hit(quota, key)
        if isinstance(decision, Deny):
            state["user_id"] = user_id  # the access log of the 429 names whose budget it was
            report_exceeded(self._log, self._metrics, decision, ip=ip, user_id=user_id, route=route)
            await send_problem(send, too_many_requests(decision), scope)
            return
        # The edge adds these to the response head, unless the route answered with its own
        # limit's headers (the login guard's 429), which then stand alone.
        state.setdefault(RESPONSE_HEADERS_STATE_KEY, []).extend(
            (name.lower().encode(), value.encode()) for name, value in core.headers(decision)
        )
        await self.app(scope, receive, send)

    def _subject(
        self, scope: Scope, state: dict[str, Any], ip: str | None, authorization: str | None
    ) -> tuple[Quota, str, str | None, str]:
        """(quota, counter key, user id, route) for this request."""
        route: str = scope["path"]
        user_id = None if route in self._per_ip_paths else self._user_id(state, authorization)
        if user_id is not None:
            quota, key = self._authenticated, f"user:{user_id}"
        else:
            quota, key = self._public, f"ip:{ip}"
        if self._overrides:
            found = self._overrides.find(scope["method"], route)
            if found is not None:
                route, quota = found
        return quota, key, user_id, route

    def _user_id(self, state: dict[str, Any], authorization: str | None) -> str | None:
        """The `sub` of a Bearer token we signed and that has not expired (no session check:
        the route still authenticates; this only picks whose budget the request spends). The
        verified claims stay in the request state so authentication does not verify again."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        claims = self._tokens.verify(token)
        if claims:
            state[VERIFIED_BEARER_STATE_KEY] = (token, claims)
        sub = claims.get("sub") if claims else None
        return sub if isinstance(sub, str) else None


def _headers(scope: Scope) -> tuple[str | None, str | None]:
    """`Authorization` and every `X-Forwarded-For` line (joined with commas), in one pass."""
    authorization: str | None = None
    forwarded: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"x-forwarded-for":
            forwarded.append(value.decode("latin-1"))
    return authorization, ",".join(forwarded) if forwarded else None


def rate_limited(app: ASGIApp, limits: RateLimiting, tokens: TokenVerifier) -> RateLimitMiddleware:
    """`app` behind the configured limits (the API listener only)."""
    return RateLimitMiddleware(
        app,
        limiter=limits.limiter,
        public=limits.public,
        authenticated=limits.authenticated,
        tokens=tokens,
        logger=limits.logger,
        metrics=limits.metrics,
        trusted_proxies=limits.trusted_proxies,
        overrides=limits.override_quotas(),
    )
