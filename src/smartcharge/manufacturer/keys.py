"""The manufacturer's firmware PKI: a root CA and a firmware-signing certificate issued by it.

`create_keys(out)` writes into the new folder `out`:

- `manufacturer-root.pem`: the root certificate, installed on every charger (the "manufacturer
  root certificate" of the OCPP security whitepaper); public.
- `manufacturer-root.key`: its private key (mode 0600); keep it offline once the signing
  certificate is issued.
- `firmware-signing.pem` / `firmware-signing.key` (mode 0600): the certificate and key that sign
  images (key usage digitalSignature, extended key usage codeSigning).
- `model-<model>.key` (mode 0600), when a model is given: the 256-bit per-model image
  encryption key.

Algorithms: ECDSA P-256 (default) or RSA 3072, with SHA-256. Private keys may be encrypted with a
passphrase (PKCS#8, the best encryption `cryptography` offers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smartcharge.chargepoint.security.cert_builder import self_signed
from smartcharge.chargepoint.security.files import private_dir, write_private
from smartcharge.chargepoint.security.firmware_image import new_model_key

Algorithm = Literal["ecdsa", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

ROOT_CERT = "manufacturer-root.pem"
ROOT_KEY = "manufacturer-root.key"
SIGNING_CERT = "firmware-signing.pem"
SIGNING_KEY = "firmware-signing.key"
_MODEL = re.compile(r"^[A-Za-z0-9._-]{1,20}$")


@dataclass(frozen=True)
class KeyFiles:
    root_cert: Path
    root_key: Path
    signing_cert: Path
    signing_key: Path
    model_key: Path | None


def new_key(algorithm: Algorithm) -> PrivateKey:
    if algorithm == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise ValueError(f"algorithm must be 'ecdsa' or 'rsa', not {algorithm!r}")


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def make_root(
    key: PrivateKey, organization: str, now: datetime, days: int = 20 * 365
) -> x509.Certificate:
    name = _name(f"{organization} Firmware Root CA", organization)
    return (
        self_signed(key, name, now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def make_signing_cert(
    key: PrivateKey,
    root: x509.Certificate,
    root_key: PrivateKey,
    now: datetime,
    days: int = 5 * 365,
) -> x509.Certificate:
    organization = root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    return (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organization!s} Firmware Signing", str(organization)))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=days), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )


def key_pem(key: PrivateKey, passphrase: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def create_keys(
    out: Path,
    *,
    organization: str = "smartcharge",
    algorithm: Algorithm = "ecdsa",
    model: str | None = None,
    passphrase: bytes | None = None,
    now: datetime | None = None,
) -> KeyFiles:
    """Create the manufacturer's root CA, firmware-signing certificate (and model key) in `out`."""
    if model is not None and not _MODEL.match(model):
        raise ValueError("model must be 1 to 20 characters: letters, digits, '.', '_', '-'")
    if not organization or len(organization) > 64:
        raise ValueError("organization must be 1 to 64 characters")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder; never overwrite keys")
    now = now or datetime.now(UTC)
    private_dir(out)
    root_key, signing_key = new_key(algorithm), new_key(algorithm)
    root = make_root(root_key, organization, now)
    signing = make_signing_cert(signing_key, root, root_key, now)
    files = KeyFiles(
        out / ROOT_CERT,
        out / ROOT_KEY,
        out / SIGNING_CERT,
        out / SIGNING_KEY,
        out / f"model-{model}.key" if model else None,
    )
    write_private(files.root_key, key_pem(root_key, passphrase))
    write_private(files.signing_key, key_pem(signing_key, passphrase))
    write_private(files.root_cert, cert_pem(root))
    write_private(files.signing_cert, cert_pem(signing))
    files.root_cert.chmod(0o644)  # public: it goes onto every charger
    files.signing_cert.chmod(0o644)
    if files.model_key is not None:
        write_private(files.model_key, new_model_key())
    return files


def load_private_key(pem: bytes, passphrase: bytes | None = None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, passphrase)
    except TypeError:
        raise ValueError("the key is encrypted: give its passphrase") from None
    except ValueError:
        raise ValueError("not a PEM private key, or the passphrase is wrong") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("the key is neither RSA nor ECDSA")
    return key
