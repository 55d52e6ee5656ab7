"""`boundary migrate …` (placeholder until the migration runner lands)."""

from __future__ import annotations

import typer

migrate_app = typer.Typer(help="Apply, inspect and roll back SQL migrations.", no_args_is_help=True)
