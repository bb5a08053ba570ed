"""`smartcharge firmware`: the manufacturer's firmware tools: keys, signing, the boot manifest
(docs/security.md). Parses, then calls into smartcharge.manufacturer."""

from __future__ import annotations

from pathlib import Path

import typer

from smartcharge import __version__
from smartcharge.cli_output import _fail, _out

firmware_app = typer.Typer(
    no_args_is_help=True, help="The manufacturer's firmware tools: keys, signing, boot manifest."
)


def _passphrase(env_name: str | None) -> bytes | None:
    import os

    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise _fail(f"--passphrase-env: the environment variable {env_name} is not set")
    return value.encode()


_PASSPHRASE_ENV = typer.Option(
    None, "--passphrase-env", help="Name of an environment variable holding the key passphrase."
)


@firmware_app.command("keys")
def firmware_keys(
    out: Path = typer.Option(..., "--out", help="A new folder for the keys and certificates."),
    organization: str = typer.Option("smartcharge", help="The manufacturer's name."),
    algorithm: str = typer.Option("ecdsa", help="ecdsa (P-256) or rsa (3072 bits)."),
    model: str | None = typer.Option(None, help="Also make this model's image encryption key."),
    passphrase_env: str | None = _PASSPHRASE_ENV,
) -> None:
    """Create the manufacturer root CA and a firmware-signing certificate issued by it."""
    from smartcharge.manufacturer.keys import create_keys

    if algorithm not in ("ecdsa", "rsa"):
        raise _fail("--algorithm must be ecdsa or rsa")
    try:
        files = create_keys(
            out,
            organization=organization,
            algorithm="ecdsa" if algorithm == "ecdsa" else "rsa",
            model=model,
            passphrase=_passphrase(passphrase_env),
        )
    except (ValueError, OSError) as exc:
        raise _fail(exc) from None
    _out(f"Root certificate (install on every charger): {files.root_cert}")
    _out(f"Signing certificate and key: {files.signing_cert}, {files.signing_key}")
    if files.model_key is not None:
        _out(f"Model image encryption key: {files.model_key}")
    _out(f"Keep {files.root_key} offline.")


@firmware_app.command("sign")
def firmware_sign(
    key: Path = typer.Option(..., "--key", help="The firmware-signing private key (PEM)."),
    cert: Path = typer.Option(..., "--cert", help="The firmware-signing certificate (PEM)."),
    image: Path = typer.Option(..., "--image", help="The firmware image."),
    out: Path = typer.Option(..., "--out", help="Folder for firmware.bin and firmware.json."),
    model_key: Path | None = typer.Option(None, "--model-key", help="Encrypt with this key."),
    model: str | None = typer.Option(None, "--model", help="The model the image is for."),
    passphrase_env: str | None = _PASSPHRASE_ENV,
) -> None:
    """Sign (and optionally encrypt) an image for OCPP SignedUpdateFirmware."""
    from smartcharge.manufacturer.signing import sign_release

    try:
        release = sign_release(
            image.read_bytes(),
            key.read_bytes(),
            cert.read_bytes(),
            out,
            passphrase=_passphrase(passphrase_env),
            model_key=model_key.read_bytes() if model_key is not None else None,
            model=model,
        )
    except (ValueError, OSError) as exc:
        raise _fail(exc) from None
    _out(f"Publish {release.image}; signature and certificate in {release.info}.")


@firmware_app.command("manifest")
def firmware_manifest(
    key: Path = typer.Option(..., "--key", help="The firmware-signing private key (PEM)."),
    cert: Path = typer.Option(..., "--cert", help="The firmware-signing certificate (PEM)."),
    out: Path = typer.Option(..., "--out", help="The signed manifest file to write."),
    package: Path | None = typer.Option(None, help="Package folder (default: this smartcharge)."),
    version: str = typer.Option(__version__, help="The software version it describes."),
    passphrase_env: str | None = _PASSPHRASE_ENV,
) -> None:
    """Sign the boot manifest (SHA-256 of every installed file) the charger checks at start."""
    from smartcharge.manufacturer.manifest import sign_manifest

    folder = package if package is not None else Path(__file__).parent
    try:
        count = sign_manifest(
            folder,
            version,
            key.read_bytes(),
            cert.read_bytes(),
            out,
            passphrase=_passphrase(passphrase_env),
        )
    except (ValueError, OSError) as exc:
        raise _fail(exc) from None
    _out(f"Signed manifest of {count} files of {folder} ({version}): {out}")
