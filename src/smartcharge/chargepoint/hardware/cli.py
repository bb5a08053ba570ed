"""`smartcharge chargepoint hardware probe|test`: the installer's commands (probe.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

hardware_app = typer.Typer(no_args_is_help=True, help="Check the charger's devices (installers).")

ConfigOption = typer.Option(..., "--config", "-c", help="The charge point's TOML file.")


def _config(path: Path):  # type: ignore[no-untyped-def]
    from smartcharge.chargepoint.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        typer.echo(f"error in {path}: {exc}", err=True)
        raise typer.Exit(2) from None


@hardware_app.command("probe")
def probe_command(config: Path = ConfigOption) -> None:
    """Read every configured device once: a table of what each says, and a plain reason for
    each that fails (exit status 1)."""
    from smartcharge.chargepoint.hardware.probe import probe

    findings = asyncio.run(probe(_config(config)))
    table = Table(title="Devices")
    for column in ("part", "device", "result"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.part, f.device, f"[green]{f.detail}" if f.ok else f"[red]{f.detail}")
    Console().print(table)
    failed = [f for f in findings if not f.ok]
    for f in failed:
        typer.echo(f"{f.part} ({f.device}): {f.detail}", err=True)
    if failed:
        raise typer.Exit(1)


@hardware_app.command("test")
def test_command(
    config: Path = ConfigOption,
    timeout: float = typer.Option(120.0, help="Seconds to wait for each step."),
) -> None:
    """Walk through plug-in, card, tamper and contactor checks on connector 1."""
    from smartcharge.chargepoint.hardware.probe import build, walk_through

    cfg = _config(config)
    if cfg.hardware.kind != "devices":
        typer.echo('nothing to test: [hardware] kind is "simulated"', err=True)
        raise typer.Exit(2)

    async def run() -> list[str]:
        hw = build(cfg)
        try:
            hw.open_gpio()
            return await walk_through(hw, typer.echo, timeout)
        finally:
            hw.close()

    failed = asyncio.run(run())
    if failed:
        typer.echo(f"failed: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
    typer.echo("all checks passed")
