"""The operator's commands of `smartcharge platform`: password rotation and certificates.

A separate process holds no charger connection, so each command goes through the serving
platform's REST API (`platform.remote`: token in SMARTCHARGE_API_TOKEN), which works on every
deployment; rotate-password can also go through the nodes' bus when `bus_url` is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer

T = TypeVar("T")

API_URL = typer.Option(
    None,
    "--api-url",
    help="The platform's REST API (default: this host's api_port, https at profiles 2 and 3).",
)
CA_FILE = typer.Option(
    None, "--ca-file", help="The CA to trust for the API's certificate (default: tls_cert)."
)
CONFIG = typer.Option(
    None, "--config", "-c", help="The platform's TOML file (environment variables override it)."
)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro`; a refusal or an unreachable API ends the command with its words."""
    from smartcharge.cli import _fail
    from smartcharge.ocpp.errors import CallError
    from smartcharge.platform.config import SettingsError
    from smartcharge.platform.registry import RegistryError
    from smartcharge.platform.remote import RemoteError

    try:
        return asyncio.run(coro)
    except (SettingsError, RegistryError, ConnectionError, CallError, RemoteError) as exc:
        raise _fail(exc) from None


def _api(config: Path | None, api_url: str | None, ca_file: Path | None) -> Any:
    from smartcharge.cli import _platform_settings
    from smartcharge.platform.config import SettingsError
    from smartcharge.platform.remote import RemoteApi

    try:
        return RemoteApi.of(_platform_settings(config), url=api_url, ca_file=ca_file)
    except SettingsError as exc:
        from smartcharge.cli import _fail

        raise _fail(exc) from None


def rotate_password(
    identity: str = typer.Option(..., "--identity", help="The charger's OCPP identity."),
    timeout: float = typer.Option(30.0, min=1.0, help="Seconds to wait for the charger."),
    config: Path | None = CONFIG,
    api_url: str | None = API_URL,
    ca_file: Path | None = CA_FILE,
) -> None:
    """Give a connected charger a fresh password (sent to the charger only, never shown)."""
    from smartcharge.cli import _err, _out, _platform_settings

    settings = _platform_settings(config)
    if settings.bus_url is not None and api_url is None:
        from smartcharge.platform.app import rotate_charger_password

        rotation = _run(rotate_charger_password(settings, identity, timeout=timeout))
        status, words = rotation.status, rotation.words
    else:
        api = _api(config, api_url, ca_file)
        answer = _run(
            api.call(
                "POST",
                f"/api/chargers/{identity}/password-rotation",
                params={"timeout": timeout},
                timeout=timeout,
            )
        )
        status, words = answer["status"], answer["detail"]
    if status in ("Accepted", "RebootRequired"):
        _out(words)
        return
    _err(words)
    raise typer.Exit(1)


certificates_app = typer.Typer(
    no_args_is_help=True,
    help="A charger's certificates, through the platform's REST API (SMARTCHARGE_API_TOKEN).",
)
IDENTITY = typer.Option(..., "--identity", help="The charger's OCPP identity.")
ROOT_TYPE = typer.Option(
    "CentralSystemRootCertificate",
    "--type",
    help="CentralSystemRootCertificate or ManufacturerRootCertificate.",
)


def _answer(answer: Any) -> None:
    """The charger's answer on stdout, as JSON (for scripts); nothing else goes there."""
    import json

    print(json.dumps(answer, indent=2, default=str))


@certificates_app.command("install")
def certificates_install(
    identity: str = IDENTITY,
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="A PEM root."),
    certificate_type: str = ROOT_TYPE,
    config: Path | None = CONFIG,
    api_url: str | None = API_URL,
    ca_file: Path | None = CA_FILE,
) -> None:
    """InstallCertificate: the certificate is checked here and by the platform before it is
    sent (one PEM CA certificate, self-signed, in date, a strong enough key)."""
    from datetime import UTC, datetime

    from smartcharge.cli import _fail
    from smartcharge.platform.charger_ca import CertificateRefused, check_root

    pem = file.read_text(encoding="ascii", errors="replace")
    try:
        check_root(pem, datetime.now(UTC))
    except CertificateRefused as exc:
        raise _fail(f"not sent: {exc}") from None
    body = {"certificate_type": certificate_type, "certificate": pem}
    api = _api(config, api_url, ca_file)
    _answer(_run(api.call("POST", f"/api/chargers/{identity}/certificates", json=body)))


@certificates_app.command("list")
def certificates_list(
    identity: str = IDENTITY,
    certificate_type: str = ROOT_TYPE,
    config: Path | None = CONFIG,
    api_url: str | None = API_URL,
    ca_file: Path | None = CA_FILE,
) -> None:
    """GetInstalledCertificateIds: the hash data of each root of that type on the charger."""
    api = _api(config, api_url, ca_file)
    params = {"certificate_type": certificate_type}
    _answer(_run(api.call("GET", f"/api/chargers/{identity}/certificates", params=params)))


@certificates_app.command("delete")
def certificates_delete(
    identity: str = IDENTITY,
    serial_number: str = typer.Option(..., "--serial-number"),
    issuer_name_hash: str = typer.Option(..., "--issuer-name-hash"),
    issuer_key_hash: str = typer.Option(..., "--issuer-key-hash"),
    hash_algorithm: str = typer.Option("SHA256", "--hash-algorithm"),
    config: Path | None = CONFIG,
    api_url: str | None = API_URL,
    ca_file: Path | None = CA_FILE,
) -> None:
    """DeleteCertificate, named as `list` shows it."""
    body = {
        "hash_algorithm": hash_algorithm,
        "issuer_name_hash": issuer_name_hash,
        "issuer_key_hash": issuer_key_hash,
        "serial_number": serial_number,
    }
    api = _api(config, api_url, ca_file)
    _answer(_run(api.call("POST", f"/api/chargers/{identity}/certificates/delete", json=body)))


@certificates_app.command("trigger")
def certificates_trigger(
    identity: str = IDENTITY,
    message: str = typer.Option("SignChargePointCertificate", "--message"),
    config: Path | None = CONFIG,
    api_url: str | None = API_URL,
    ca_file: Path | None = CA_FILE,
) -> None:
    """ExtendedTriggerMessage; by default SignChargePointCertificate (a new key pair and CSR)."""
    api = _api(config, api_url, ca_file)
    body = {"requested_message": message}
    _answer(_run(api.call("POST", f"/api/chargers/{identity}/trigger", json=body)))


@certificates_app.command("issued")
def certificates_issued(
    identity: str = IDENTITY,
    config: Path | None = CONFIG,
    api_url: str | None = API_URL,
    ca_file: Path | None = CA_FILE,
) -> None:
    """The charger certificates the platform's CA signed for this charger, newest first."""
    api = _api(config, api_url, ca_file)
    _answer(_run(api.call("GET", f"/api/chargers/{identity}/charger-certificates")))
