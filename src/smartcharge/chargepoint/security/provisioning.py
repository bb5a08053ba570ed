"""Provisioning at manufacture (R28, R32): every charger gets its own secrets, sealed at rest.

`provision(identity, out)` creates, in a new folder `out` (mode 0700):

- `device.key`: a 256-bit per-device key from the OS CSPRNG (mode 0600). It encrypts the charger's
  credentials at rest. On production hardware this key belongs in a secure element or TPM; the
  file is the simulator's stand-in.
- `vault/`: the CredentialVault, one AES-256-GCM file per credential (mode 0600), holding the
  charger's HTTP Basic auth password (`basic_auth_password`) and its TLS private key
  (`tls_private_key`, PKCS#8 PEM).
- `chargepoint.csr.pem`: a PKCS#10 request with CN = the identity, for the CSMS or the
  manufacturer's CA to sign (security profile 3, or SignCertificate).
- `provisioning.json`: what was made, when, with which algorithms; no secret.

Nothing here derives a secret from the identity, serial number or MAC address, and no function
sets a credential to a shared or default value: the vault refuses known defaults, public values
and weak passwords.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import orjson

from smartcharge.chargepoint.security.crypto import (
    aead,
    ec,
    exceptions,
    hashes,
    oid,
    rsa,
    serialization,
    x509,
)
from smartcharge.chargepoint.security.files import private_dir, write_private
from smartcharge.chargepoint.security.setup_code import new_setup_code, save_setup_code

KeyType = Literal["ec", "rsa"]

PASSWORD_LENGTH = 32  # characters of an alphabet of 64: 192 bits, within OCPP's 16..40
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_"
PASSWORD_CREDENTIALS = frozenset({"basic_auth_password", "owner_password"})
_NAME_CHARS = frozenset(string.ascii_lowercase + string.digits + "_-.")
_VAULT_MAGIC = b"smartcharge-vault-v1\x00"

# Well-known defaults and the example values of our own documentation: never a credential.
KNOWN_DEFAULTS = frozenset(
    s.casefold()
    for s in (
        "change-me-to-a-random-32-char-pw",
        "a-random-password-unique-to-CP",
        "password",
        "password1234567890",
        "passwordpassword",
        "admin",
        "administrator",
        "changeme",
        "change-me",
        "default",
        "root",
        "secret",
        "smartcharge",
        "0123456789abcdef",
        "1234567890123456",
        "00000000000000000000000000000000",
    )
)


class CredentialError(ValueError):
    """A credential that may not be stored; the message never contains the value."""


class VaultTampered(Exception):
    """A vault file failed authentication: changed, swapped, or sealed with another device key."""


def check_password(password: str, public_values: Iterable[str] = ()) -> None:
    """Raise CredentialError unless `password` is fit for an OCPP AuthorizationKey (R28)."""
    if not 16 <= len(password) <= 40:
        raise CredentialError("must be 16 to 40 characters")
    if not all(0x20 <= ord(ch) <= 0x7E for ch in password):
        raise CredentialError("must be printable ASCII characters only")
    folded = password.casefold()
    if folded in KNOWN_DEFAULTS:
        raise CredentialError("is a well-known default password")
    for public in public_values:
        public = public.casefold()
        # short public values would match a random password by chance, as in config.py
        if public and (folded == public or (len(public) >= 6 and public in folded)):
            raise CredentialError("must not contain the identity or serial number")
    if len(set(password)) < 8:
        raise CredentialError("is too repetitive (fewer than 8 different characters)")


def new_password() -> str:
    """A fresh Basic auth password from the OS CSPRNG: 32 characters, 192 bits."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


class CredentialVault:
    """Credentials encrypted at rest with the per-device key (AES-256-GCM, one file each).

    The credential's name is authenticated data, so a file renamed or copied over another one
    fails to open, as does any changed byte.
    """

    def __init__(self, directory: Path, device_key: bytes, *, public_values: Iterable[str] = ()):
        if len(device_key) != 32:
            raise ValueError("the device key must be 256 bits")
        self.directory = directory
        self._aead = aead.AESGCM(device_key)
        self._public = tuple(v for v in public_values if v)
        private_dir(directory)

    def __repr__(self) -> str:
        return f"CredentialVault({str(self.directory)!r})"

    def _path(self, name: str) -> Path:
        if not name or not set(name) <= _NAME_CHARS or name.startswith("."):
            raise ValueError(f"bad credential name {name!r}: use a-z, 0-9, '_', '-', '.'")
        return self.directory / f"{name}.cred"

    def put(self, name: str, value: bytes) -> None:
        """Seal `value` under `name`, replacing any earlier value; refuses shared/default values."""
        path = self._path(name)
        if not value:
            raise CredentialError(f"{name}: must not be empty")
        text = value.decode("utf-8", errors="replace")
        if name in PASSWORD_CREDENTIALS:
            try:
                check_password(text, self._public)
            except CredentialError as exc:
                raise CredentialError(f"{name}: {exc}") from None
        else:
            folded = text.strip().casefold()
            if folded in KNOWN_DEFAULTS or folded in {p.casefold() for p in self._public}:
                raise CredentialError(f"{name}: must not be a default or public value")
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, value, _VAULT_MAGIC + name.encode())
        write_private(path, _VAULT_MAGIC + sealed)

    def get(self, name: str) -> bytes:
        """The credential, or KeyError when absent; VaultTampered when it fails authentication."""
        path = self._path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyError(name) from None
        if not data.startswith(_VAULT_MAGIC) or len(data) < len(_VAULT_MAGIC) + 12 + 16:
            raise VaultTampered(f"{name}: not a vault file")
        body = data[len(_VAULT_MAGIC) :]
        try:
            return self._aead.decrypt(body[:12], body[12:], _VAULT_MAGIC + name.encode())
        except exceptions.InvalidTag:
            raise VaultTampered(
                f"{name}: failed authentication (changed or wrong device)"
            ) from None

    def names(self) -> list[str]:
        return sorted(p.name.removesuffix(".cred") for p in self.directory.glob("*.cred"))

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


@dataclass(frozen=True)
class Provisioned:
    identity: str
    directory: Path
    key_type: KeyType
    csr_pem: bytes
    password: str = field(repr=False)  # shown once to the operator, then only in the vault
    # The owner API's first-use proof, for the charger's label (setup_code.py); only its hash
    # stays on the charger.
    setup_code: str = field(default="", repr=False)


DEVICE_KEY_FILE = "device.key"
VAULT_DIR = "vault"
CSR_FILE = "chargepoint.csr.pem"
INFO_FILE = "provisioning.json"


def _new_private_key(key_type: KeyType) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key type must be 'ec' or 'rsa', not {key_type!r}")


def make_csr(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, identity: str, organization: str | None
) -> x509.CertificateSigningRequest:
    names = [x509.NameAttribute(oid.NameOID.COMMON_NAME, identity)]
    if organization:
        names.append(x509.NameAttribute(oid.NameOID.ORGANIZATION_NAME, organization))
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(names))
        .sign(key, hashes.SHA256())
    )


def open_vault(directory: Path) -> CredentialVault:
    """The vault of a provisioned charger's folder."""
    device_key = (directory / DEVICE_KEY_FILE).read_bytes()
    info = orjson.loads((directory / INFO_FILE).read_bytes())
    return CredentialVault(
        directory / VAULT_DIR, device_key, public_values=info.get("public_values", [])
    )


def provision(
    identity: str,
    out: Path,
    *,
    key_type: KeyType = "ec",
    serial_number: str | None = None,
    organization: str | None = None,
    now: datetime | None = None,
) -> Provisioned:
    """Create a charger's unique credentials in the new or empty folder `out`."""
    if not identity or len(identity) > 48 or not identity.isprintable():
        raise ValueError("identity must be 1 to 48 printable characters")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder; never re-provision")
    private_dir(out)
    public_values = [v for v in (identity, serial_number) if v]

    device_key = secrets.token_bytes(32)
    write_private(out / DEVICE_KEY_FILE, device_key)
    vault = CredentialVault(out / VAULT_DIR, device_key, public_values=public_values)

    password = new_password()
    while True:  # astronomically rare, but a public value must never appear in it
        try:
            check_password(password, public_values)
            break
        except CredentialError:
            password = new_password()
    vault.put("basic_auth_password", password.encode())

    key = _new_private_key(key_type)
    vault.put(
        "tls_private_key",
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    csr_pem = make_csr(key, identity, organization).public_bytes(serialization.Encoding.PEM)
    write_private(out / CSR_FILE, csr_pem)

    info = {
        "format": "smartcharge-provisioning",
        "version": 1,
        "identity": identity,
        "serial_number": serial_number,
        "public_values": public_values,
        "created_at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(),
        "key_type": "EC P-256" if key_type == "ec" else "RSA 2048",
        "csr": CSR_FILE,
        "credentials": vault.names(),
        "vault": "AES-256-GCM, key in device.key",
    }
    setup_code = new_setup_code()
    save_setup_code(out, setup_code)
    write_private(out / INFO_FILE, orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return Provisioned(identity, out, key_type, csr_pem, password, setup_code)
