"""The user API through the app factory on a real, migrated database (integration tests).

`UserApi` builds the whole system for one fresh database (cheap argon2 parameters so tests
stay fast), drives it with httpx through ASGI, and offers builders that go straight to the
repositories (users with a known password, access tokens for them) so a test of one endpoint
does not depend on another endpoint working.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from boundary.config.shell import load_config
from boundary.http.app import create_api_app
from boundary.migrations.shell import MigrationRunner
from boundary.system import System, build_system
from boundary.user.core import sessions as session_rules
from boundary.user.core import tokens
from boundary.user.core.model import Role, User
from boundary.user.shell.crypto import Argon2Passwords, new_session_token
from tests.support.databases import start_from_migrated_sqlite

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"  # 28 chars, not a common password


def cheap_passwords() -> Argon2Passwords:
    """argon2id with minimal cost: the same code path, milliseconds instead of 20+ ms."""
    return Argon2Passwords(time_cost=1, memory_cost=8, parallelism=1)


@dataclasses.dataclass
class UserApi:
    system: System
    client: httpx.AsyncClient

    @property
    def module(self) -> Any:
        return self.system.user

    async def make_user(
        self,
        role: Role = "user",
        *,
        email: str | None = None,
        password: str = PASSWORD,
        name: str = "Test User",
        **fields: Any,
    ) -> User:
        """A user inserted through the repositories (not the API)."""
        now = datetime.now(UTC)
        user = User(
            id=uuid.uuid4(),
            email=email or f"{role}-{uuid.uuid4().hex[:10]}@example.com",
            name=name,
            password_hash=await self.module.deps.passwords.hash(password),
            role=role,
            created_at=now,
            updated_at=now,
        )
        user = dataclasses.replace(user, **fields)
        async with self.module.units() as unit:
            await unit.users.add(user)
            await unit.commit()
        return user

    async def token_for(self, user: User) -> dict[str, str]:
        """An Authorization header for `user`: a new live session and its access token."""
        now = datetime.now(UTC)
        session = session_rules.new_session(
            id=uuid.uuid4(),
            user_id=user.id,
            token_hash=session_rules.hash_token(new_session_token()),
            now=now,
            ttl_seconds=3600,
            ip="127.0.0.1",
            user_agent="tests",
        )
        async with self.module.units() as unit:
            await unit.sessions.add(session)
            await unit.commit()
        claims = tokens.access_claims(
            user_id=user.id,
            session_id=session.id,
            role=user.role,
            now=now,
            ttl_seconds=900,
            jti=uuid.uuid4().hex,
        )
        return {"Authorization": f"Bearer {self.module.deps.tokens.sign(claims)}"}

    async def login(self, email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
        body = {"email": email, "password": password, **extra}
        return await self.client.post("/api/v1/auth/login", json=body)


@asynccontextmanager
async def user_api(
    database_url: str, *, overrides: dict[str, Any] | None = None, **environ: str
) -> AsyncIterator[UserApi]:
    """A migrated system on `database_url`, served through ASGI (ENV=test); `overrides` go
    to `build_system` (e.g. `metrics`)."""
    env = {"DATABASE_URL": database_url, **environ}
    settings = load_config(env="test", config_dir=ROOT / "config", environ=env).settings
    await start_from_migrated_sqlite(database_url, ROOT / "migrations")
    system = build_system(settings, passwords=cheap_passwords(), **(overrides or {}))
    await MigrationRunner(system.database, ROOT / "migrations").migrate()
    await system.start()
    transport = httpx.ASGITransport(app=create_api_app(system), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        try:
            yield UserApi(system=system, client=client)
        finally:
            await system.aclose()
