"""Contract of the `MailTransport` port, run alike against the fake (tests/fakes/mail.py) and
`SmtpTransport` talking to a real SMTP server (aiosmtpd, tests/support/smtp.py): a message is
delivered whole; a refusal is `DeliveryFailed` with its code, permanent for 5xx only; closing
is harmless and the transport sends again after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from boundary.mail.core import Message, SmtpTarget
from boundary.mail.ports import DeliveryFailed, MailTransport
from boundary.mail.shell.smtp import SmtpTransport
from tests.fakes.mail import RecordingTransport
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.anyio

SENDER = "Boundary <no-reply@example.com>"


@dataclass
class Backend:
    transport: MailTransport
    delivered: Callable[[], list[tuple[str, str, str]]]
    """(recipient, subject, plain text) of every message delivered so far."""
    refuse_next: Callable[[int], None]
    """Make the next message be answered with this SMTP reply code."""


@pytest.fixture(params=["fake", "smtp"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "fake":
        fake = RecordingTransport()
        yield Backend(
            fake,
            lambda: [(m.recipient, m.subject, m.text) for _, m in fake.sent],
            fake.refuse_next,
        )
        return
    server = SmtpServer()
    server.start()
    transport = SmtpTransport(SmtpTarget(host="127.0.0.1", port=server.port, tls="none"), timeout=5)
    try:
        yield Backend(
            transport,
            lambda: [(r.rcpt_tos[0], r.subject, r.text.strip()) for r in server.messages],
            lambda code: server.refuse_next(f"{code} {'5.7.1' if code >= 500 else '4.3.0'} no"),
        )
    finally:
        await transport.aclose()
        server.stop()


def message(n: int) -> Message:
    return Message(
        kind="password_reset",
        recipient=f"user{n}@example.com",
        subject=f"Reset your password ({n})",
        text=f"Follow https://example.com/reset/{n}",
        html=f"<a href='https://example.com/reset/{n}'>reset</a>",
    )


async def test_messages_are_delivered_whole_and_in_order(backend: Backend) -> None:
    for n in (1, 2):
        await backend.transport.send(message(n), sender=SENDER)
    assert backend.delivered() == [
        ("user1@example.com", "Reset your password (1)", "Follow https://example.com/reset/1"),
        ("user2@example.com", "Reset your password (2)", "Follow https://example.com/reset/2"),
    ]


@pytest.mark.parametrize(("code", "permanent"), [(550, True), (554, True), (451, False)])
async def test_a_refusal_is_delivery_failed_with_its_code(
    backend: Backend, code: int, permanent: bool
) -> None:
    backend.refuse_next(code)
    with pytest.raises(DeliveryFailed) as failed:
        await backend.transport.send(message(1), sender=SENDER)
    assert (failed.value.code, failed.value.permanent) == (code, permanent)
    assert backend.delivered() == []

    await backend.transport.send(message(2), sender=SENDER)  # the next one goes through
    assert [recipient for recipient, _, _ in backend.delivered()] == ["user2@example.com"]


async def test_closing_is_harmless_and_sending_goes_on_after_it(backend: Backend) -> None:
    await backend.transport.aclose()
    await backend.transport.send(message(1), sender=SENDER)
    await backend.transport.aclose()
    await backend.transport.aclose()
    await backend.transport.send(message(2), sender=SENDER)
    assert len(backend.delivered()) == 2
