"""The admin console: server-rendered pages under `/admin` on the API listener."""

from boundary.http.console.app import create_console_app

__all__ = ["create_console_app"]
