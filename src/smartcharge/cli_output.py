"""How the CLI speaks: human messages on stderr (stdout carries only what a script may capture),
errors in red with exit code 2. Shared by cli.py and its command groups."""

from __future__ import annotations

import typer


def _out(message: str) -> None:
    """Human messages go to stderr, so stdout carries only what a script may capture."""
    typer.echo(message, err=True)


def _err(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)


def _fail(message: object) -> typer.Exit:
    _err(f"error: {message}")
    return typer.Exit(2)
