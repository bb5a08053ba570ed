"""The one CLI, `smartcharge`: parses, then calls into the parts. No logic lives here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import typer
from rich.console import Console

from smartcharge import __version__, logs

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="smartcharge: UK smart charging."
)
chargepoint_app = typer.Typer(no_args_is_help=True, help="The charge point software.")
app.add_typer(chargepoint_app, name="chargepoint")
console = Console(stderr=True)


@app.command()
def version() -> None:
    """Print the software version."""
    print(__version__)


@chargepoint_app.command("run")
def chargepoint_run(
    config: Path = typer.Option(..., "--config", "-c", help="The charge point's TOML file."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    """Run the charge point (OCPP 1.6J client, simulated hardware and its control API)."""
    from smartcharge.chargepoint.app import ChargePointApp
    from smartcharge.chargepoint.config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        console.print(f"[red]error in {config}:[/red] {exc}")
        raise typer.Exit(2) from None
    logs.setup(cfg.data_dir / "logs", level=logging.DEBUG if verbose else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(ChargePointApp(cfg).run())


@app.command()
def demo(
    chargers: int = typer.Option(2, min=1, max=20, help="How many simulated chargers."),
    speed: float = typer.Option(
        60.0, min=1.0, max=3600.0, help="Simulated seconds per real second."
    ),
    duration: float = typer.Option(
        0.0, min=0.0, help="Stop after this many real seconds (0: run until Ctrl+C)."
    ),
    data_dir: Path | None = typer.Option(
        None, help="Where the chargers keep their data (default: a fresh temporary folder)."
    ),
) -> None:
    """A built-in central system and simulated chargers charging simulated EVs, live."""
    from smartcharge.demo import run_demo

    logs.setup(None, level=logging.WARNING, console=False)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(chargers=chargers, speed=speed, duration=duration, data_dir=data_dir))
