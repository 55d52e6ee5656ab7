"""Mail bodies from the package's Jinja2 templates (shell): `<kind>.txt` and `<kind>.html`.

HTML is autoescaped; the text body is not (it is not markup). Each template shows exactly one
link and nothing secret but the token inside that link.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from boundary.kernel.durations import format_duration
from boundary.mail.core import Message

SUBJECTS: Final = {
    "password_reset": "Reset your Boundary password",
    "email_verification": "Verify your email address",
}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("boundary.mail", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(kind: str, *, recipient: str, link: str, ttl_seconds: float) -> Message:
    """The `kind` mail to `recipient` carrying `link`, valid for `ttl_seconds`."""
    env = _environment()
    context = {"email": recipient, "link": link, "ttl": _human(ttl_seconds)}
    return Message(
        kind=kind,
        recipient=recipient,
        subject=SUBJECTS[kind],
        text=env.get_template(f"{kind}.txt").render(context),
        html=env.get_template(f"{kind}.html").render(context),
    )


def _human(seconds: float) -> str:
    """`30 minutes`, `24 hours`; other spans in Go syntax."""
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return format_duration(seconds)
