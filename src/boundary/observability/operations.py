"""Operation logging (shell helper): one event per business operation, written for you.

    @operation("user.create", log)
    async def create_user(self, ...): ...

    async with operation("user.deactivate", log, user_id=actor.id) as op:
        ...
        op.user_id = target.id          # fields may be set while the operation runs

On success one info event (debug for `read=True`) `Operation completed` with `operation`,
`duration-ms`, `user-id`; on failure one event `Operation failed` that also has
`error.kind` and `error.message` — at warn for an expected refusal (a `DomainError`: not found,
invalid input, forbidden), at error otherwise — and the exception
propagates unchanged. A cancelled operation (client gone, shutdown) is logged at warn with
`error.kind=CancelledError`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Final, ParamSpec, TypeVar

from boundary.kernel.errors import DomainError
from boundary.kernel.redaction import redact_text
from boundary.observability.logging.ports import Logger

COMPLETED: Final = "Operation completed"
FAILED: Final = "Operation failed"

P = ParamSpec("P")
R = TypeVar("R")


# Lower-case on purpose: used like a function, `@operation(...)` and `async with operation(...)`.
class operation:
    """Log the named operation's outcome and duration; see the module docstring."""

    __slots__ = ("_started", "fields", "logger", "name", "read", "user_id")

    def __init__(
        self,
        name: str,
        logger: Logger,
        *,
        user_id: object | None = None,
        read: bool = False,
    ) -> None:
        self.name = name
        self.logger = logger
        self.user_id = user_id
        self.read = read
        """A read logs its success at debug (a busy list endpoint would double the log
        volume at info); failures are logged the same either way."""
        self.fields: dict[str, Any] = {}
        """Extra fields for the event (e.g. `role`); set them while the operation runs."""
        self._started = 0.0

    async def __aenter__(self) -> operation:
        self._started = time.perf_counter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        duration_ms = round((time.perf_counter() - self._started) * 1000, 2)
        fields: dict[str, Any] = {**self.fields, "operation": self.name, "duration_ms": duration_ms}
        if self.user_id is not None:  # else the request's bound user id (if any) stands
            fields["user_id"] = str(self.user_id)
        if exc is None:
            (self.logger.debug if self.read else self.logger.info)(COMPLETED, **fields)
            return
        fields["error.kind"] = type(exc).__name__
        fields["error.message"] = redact_text(str(exc))
        log = self.logger.warn if _expected(exc) else self.logger.error
        log(FAILED, **fields)

    def __call__(self, function: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        """Decorate an async function or method: each call is one operation."""
        name, logger, user_id, read = self.name, self.logger, self.user_id, self.read

        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            async with operation(name, logger, user_id=user_id, read=read):
                return await function(*args, **kwargs)

        return wrapper


def _expected(exc: BaseException) -> bool:
    """A client's problem (4xx) or a cancellation, not a fault of ours."""
    return isinstance(exc, DomainError) or not isinstance(exc, Exception)
