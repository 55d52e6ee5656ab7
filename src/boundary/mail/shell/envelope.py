"""A queued `Message` as an RFC 5322 message (shell: the stdlib email package)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from boundary.mail.core import Message


def to_email(message: Message, *, sender: str) -> EmailMessage:
    """Plain text first, HTML as the preferred alternative; a fresh Message-ID per attempt's
    message is fine (receivers deduplicate on it only within one delivery)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = make_msgid(domain=domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail
