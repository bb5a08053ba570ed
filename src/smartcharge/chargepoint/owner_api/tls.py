"""The owner API's TLS (R33): a configured certificate, or one made for this charger.

With `owner_api.cert_file` and `owner_api.key_file` the charger serves that certificate. Without
them it makes, once, its own EC P-256 key and a self-signed certificate (CN = the identity,
names: the identity, `localhost`, 127.0.0.1, ::1), kept in `data_dir/owner_api/` (key mode 0600).
The owner's browser cannot know that certificate, so the charger logs its SHA-256 fingerprint for
the owner to compare (the label or the installer's app shows the same); the key is unique to the
charger, never shared.
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smartcharge.chargepoint.security.cert_builder import self_signed
from smartcharge.chargepoint.security.files import private_dir, write_private

CERT_FILE = "owner-api.pem"
KEY_FILE = "owner-api.key"
VALID_DAYS = 20 * 365  # a charger's life; it is self-signed, so expiry protects nothing here


def make_certificate(identity: str, now: datetime) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for this charger's owner API."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)])
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    if identity.replace("-", "").replace(".", "").isalnum():
        names.insert(0, x509.DNSName(identity))
    cert = (
        self_signed(key, name, now, VALID_DAYS)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def ensure_certificate(
    folder: Path, identity: str, now: datetime | None = None
) -> tuple[Path, Path]:
    """The charger's own certificate and key in `folder`, made on first use."""
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    if not (cert.is_file() and key.is_file()):
        private_dir(folder)
        cert_pem, key_pem = make_certificate(identity, now or datetime.now(UTC))
        write_private(key, key_pem)
        write_private(cert, cert_pem)
    return cert, key


def fingerprint(cert_file: Path) -> str:
    """SHA-256 fingerprint, colon-separated hex, as browsers show it."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # R33
    ctx.load_cert_chain(str(cert_file), str(key_file))
    return ctx
