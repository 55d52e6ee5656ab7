"""The `boundary` command line (entry): `app` is the typer application, `main` the console
script. One module per command group: `app` (serve, config, health, secret, version),
`migrate`, `users`; shared options and the one-line failure in `common`."""

from boundary.cli.app import app, main

__all__ = ["app", "main"]
