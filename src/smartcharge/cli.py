"""The one CLI, `smartcharge`: parses, then calls into the parts. No logic lives here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from smartcharge import __version__, logs, operator_cli
from smartcharge.chargepoint.hardware.cli import hardware_app
from smartcharge.cli_firmware import firmware_app
from smartcharge.cli_output import _err, _fail, _out

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="smartcharge: UK smart charging."
)
chargepoint_app = typer.Typer(no_args_is_help=True, help="The charge point software.")
app.add_typer(chargepoint_app, name="chargepoint")
app.add_typer(firmware_app, name="firmware")
chargepoint_app.add_typer(hardware_app, name="hardware")


platform_app = typer.Typer(no_args_is_help=True, help="The management platform (central system).")
app.add_typer(platform_app, name="platform")


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
    from smartcharge.chargepoint.daemon import run

    raise typer.Exit(run(config, verbose=verbose))


@chargepoint_app.command("check-config")
def chargepoint_check_config(
    config: Path = typer.Argument(..., help="The charge point's TOML file."),
) -> None:
    """Check a charge point's file and list its security-weakening settings (exit 1 when a
    production build would refuse it, 2 when the file is invalid)."""
    from smartcharge.chargepoint.security.weakening import check_file

    code, listing, verdict = check_file(config)
    for line in listing:  # stdout, one a line: a script may read them
        typer.echo(line)
    (_err if code else _out)(verdict)
    raise typer.Exit(code)


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
    start: datetime | None = typer.Option(
        None,
        formats=["%Y-%m-%dT%H:%M:%S%z"],
        help="Simulated start, e.g. 2026-11-23T21:50:00+0000 (default: now).",
    ),
    random_delay_max: int = typer.Option(
        600, min=0, max=1800, help="RandomisedDelayMaxSeconds of the chargers (R22)."
    ),
    port: int = typer.Option(
        8080, min=0, max=65535, help="The platform's web port on 127.0.0.1 (0: any free one)."
    ),
    hardware: str = typer.Option(
        "simulated", help="simulated, or devices: the real drivers against simulated devices."
    ),
) -> None:
    """The platform and simulated chargers charging simulated EVs, live; prints the web URL
    and a login (a fresh password, shown once).

    The UK rules are on: outside the default charging hours the cars wait, and each start and
    change of rate waits a random delay (up to --random-delay-max seconds).
    """
    from smartcharge.demo import run_demo
    from smartcharge.platform.app import run_serving

    if hardware not in ("simulated", "devices"):
        raise typer.BadParameter("must be simulated or devices", param_hint="--hardware")

    logs.setup(None, level=logging.WARNING, console=False)
    with contextlib.suppress(KeyboardInterrupt):
        run_serving(
            run_demo(
                chargers=chargers,
                speed=speed,
                duration=duration,
                data_dir=data_dir,
                start=start,
                random_delay_max_s=random_delay_max,
                api_port=port,
                hardware=hardware,
            )
        )


if TYPE_CHECKING:
    from smartcharge.platform.config import PlatformSettings

_PLATFORM_CONFIG = typer.Option(
    None, "--config", "-c", help="The platform's TOML file (environment variables override it)."
)


def _platform_settings(config: Path | None) -> PlatformSettings:
    from smartcharge.platform.config import SettingsError, load_settings

    try:
        return load_settings(config)
    except SettingsError as exc:
        _err(f"error in the platform settings: {exc}")
        raise typer.Exit(2) from None


@platform_app.command("serve")
def platform_serve(
    config: Path | None = _PLATFORM_CONFIG,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    """Run the platform: OCPP 1.6J at ws(s)://host:port/ocpp/{identity}, REST API on api_port."""
    from smartcharge.platform.app import PlatformApp, run_serving, ssl_context
    from smartcharge.platform.config import SettingsError

    settings = _platform_settings(config)
    try:
        ssl_context(settings)
    except (SettingsError, OSError) as exc:
        _err(f"error in the platform settings: {exc}")
        raise typer.Exit(2) from None
    logs.setup(settings.data_dir / "logs", level=logging.DEBUG if verbose else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        run_serving(PlatformApp(settings).run())


def _shown_once(what: str, secret: str) -> None:
    """A new secret: the words on stderr, the secret alone on stdout (for a script to keep)."""
    _out(f"{what} (shown only once):")
    print(secret)


@platform_app.command("add-charger")
def platform_add_charger(
    identity: str = typer.Option(..., "--identity", help="The charger's OCPP identity."),
    owner: str | None = typer.Option(None, help="The owner's e-mail address."),
    site: str | None = typer.Option(None, help="The workplace site's name."),
    config: Path | None = _PLATFORM_CONFIG,
) -> None:
    """Register a charger and print its password, once: only its hash is stored."""
    from smartcharge.platform.app import provision_charger
    from smartcharge.platform.registry import RegistryError
    from smartcharge.platform.store import ChargerExists

    settings = _platform_settings(config)
    try:
        new = asyncio.run(provision_charger(settings, identity, owner=owner, site=site))
    except (RegistryError, ChargerExists) as exc:
        raise _fail(exc) from None
    _shown_once(f"Charger {new.identity} added. Its password", new.password)


platform_app.command("rotate-password")(operator_cli.rotate_password)
platform_app.add_typer(operator_cli.certificates_app, name="certificates")


@platform_app.command("add-user")
def platform_add_user(
    email: str = typer.Option(..., "--email", help="The user's e-mail address (the login)."),
    role: str = typer.Option(
        ..., help="owner, workplace_admin, workplace_user, operator or aggregator."
    ),
    site: str | None = typer.Option(None, help="The workplace site (workplace roles)."),
    config: Path | None = _PLATFORM_CONFIG,
) -> None:
    """Add a user who can log in to the REST API and print a fresh password, once."""
    from smartcharge.platform.app import provision_user
    from smartcharge.platform.store.accounts import UserExists

    settings = _platform_settings(config)
    try:
        password = asyncio.run(provision_user(settings, email, role=role, site=site))
    except (UserExists, ValueError) as exc:
        raise _fail(exc) from None
    _shown_once(f"User {email.strip().lower()} ({role}) added. The password", password)


# --- security: provisioning (docs/security.md; the firmware tools are cli_firmware.py) ------


@chargepoint_app.command("provision")
def chargepoint_provision(
    identity: str = typer.Option(..., "--identity", help="The charger's OCPP identity."),
    out: Path = typer.Option(..., "--out", help="A new folder for the charger's credentials."),
    key_type: str = typer.Option("ec", "--key-type", help="ec (P-256) or rsa (2048 bits)."),
    serial_number: str | None = typer.Option(None, "--serial-number", help="Never in a secret."),
    organization: str | None = typer.Option(None, "--organization", help="O= of the CSR."),
) -> None:
    """Create a charger's unique password, key pair, CSR and device key; print the password once."""
    from smartcharge.chargepoint.security.provisioning import CSR_FILE, provision

    if key_type not in ("ec", "rsa"):
        raise _fail("--key-type must be ec or rsa")
    try:
        made = provision(
            identity,
            out,
            key_type="ec" if key_type == "ec" else "rsa",
            serial_number=serial_number,
            organization=organization,
        )
    except (ValueError, OSError) as exc:
        raise _fail(exc) from None
    _out(
        f"Provisioned {made.identity} in {out} (CSR: {out / CSR_FILE}). "
        "Its Basic auth password, shown only this once, to register with the platform:"
    )
    print(made.password)
    _out("The owner's setup code, for the charger's label (the owner API's first use needs it):")
    print(made.setup_code)


# --- compliance suite (docs/compliance.md) -----------------------------------------------------

compliance_app = typer.Typer(no_args_is_help=True, help="The compliance suite (R1-R39).")
app.add_typer(compliance_app, name="compliance")


@compliance_app.command("run")
def compliance_run(
    target: str | None = typer.Option(
        None,
        "--target",
        help="'simulated': our simulated charger; 'simulated-devices': the same through its "
        "real device drivers.",
    ),
    listen: str | None = typer.Option(
        None, "--listen", help="HOST:PORT: act as the central system for any charger."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for evidence and the technical file."),
    full: bool = typer.Option(False, "--full", help="Larger samples (slower)."),
    dsr_agreement: Path | None = typer.Option(
        None, "--dsr-agreement", help="TOML file of the DSR agreement the charger is sold with."
    ),
    tls_cert: Path | None = typer.Option(
        None, "--tls-cert", help="With --listen: serve wss with this PEM certificate (chain)."
    ),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="Its PEM private key."),
    local_https: str | None = typer.Option(
        None, "--local-https", help="With --listen: HOST:PORT of the charger's local HTTPS (R33)."
    ),
    product: Path | None = typer.Option(
        None, "--product", help="TOML file of the manufacturer's declaration (technical file)."
    ),
    firmware_signed: Path | None = typer.Option(
        None, "--firmware-signed", help="With --listen: the maker's signed image (.sig, .pem)."
    ),
    firmware_unsigned: Path | None = typer.Option(
        None, "--firmware-unsigned", help="With --listen: an unsigned image of its own format."
    ),
    firmware_foreign: Path | None = typer.Option(
        None, "--firmware-foreign-signer", help="With --listen: an image signed by a stranger."
    ),
    session: bool = typer.Option(
        False, "--session", help="With --listen: measure a charging session (a car plugged in)."
    ),
) -> None:
    """Drive a charger through every requirement and write the technical file."""
    from smartcharge.compliance import command
    from smartcharge.compliance.dsr_agreement import DsrAgreementError, load

    try:
        agreement = load(dsr_agreement) if dsr_agreement is not None else None
    except DsrAgreementError as exc:
        raise _fail(exc) from None
    options = command.ListenOptions(
        tls=(tls_cert, tls_key),
        local_https=local_https,
        firmware=(firmware_signed, firmware_unsigned, firmware_foreign),
        session=session,
    )
    raise typer.Exit(command.main(target, listen, out, not full, agreement, options, product))
