"""The charger's certificate store (OCPP 1.6 security whitepaper, certificate management).

Installed root certificates, by use:

- `CentralSystemRootCertificate`: the roots the central system's TLS certificate must chain to
  (security profiles 2 and 3); also the roots the charger's own certificate must chain to when
  the central system signs it (CertificateSigned);
- `ManufacturerRootCertificate`: the roots firmware-signing certificates must chain to.

Each is one PEM file `<use>/<sha256 fingerprint>.pem` under the store's folder, written
atomically. The charger's own certificate chain (from CertificateSigned, or the installer's file)
is `chargepoint.pem`; its private key is in the credential vault, never here.

Certificates are identified as OCPP does (CertificateHashDataType): hash algorithm, hash of the
issuer's distinguished name (DER), hash of the issuer's public key (the subjectPublicKey bit
string's contents) and the serial number in hexadecimal.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from smartcharge.chargepoint.security.crypto import (
    ec,
    exceptions,
    hashes,
    oid,
    rsa,
    serialization,
    x509,
)
from smartcharge.chargepoint.security.files import private_dir, write_private

CertificateUse = Literal["CentralSystemRootCertificate", "ManufacturerRootCertificate"]
USES: tuple[CertificateUse, ...] = ("CentralSystemRootCertificate", "ManufacturerRootCertificate")
HASHES: dict[str, Callable[[bytes], Any]] = {
    "SHA256": hashlib.sha256,
    "SHA384": hashlib.sha384,
    "SHA512": hashlib.sha512,
}
CHAIN_FILE = "chargepoint.pem"
MAX_CHAIN = 5  # certificates in a chain we walk (leaf, intermediates)


class CertificateInvalid(ValueError):
    """A certificate that may not be installed or used; the message is fit for techInfo."""


def load_one(pem: str | bytes) -> x509.Certificate:
    """Exactly one PEM certificate, else CertificateInvalid."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateInvalid("not a PEM X.509 certificate") from None
    if len(certs) != 1:
        raise CertificateInvalid(f"expected one certificate, got {len(certs)}")
    return certs[0]


def load_chain(pem: str | bytes) -> list[x509.Certificate]:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateInvalid("not a PEM X.509 certificate chain") from None
    if not 1 <= len(certs) <= MAX_CHAIN:
        raise CertificateInvalid(f"a chain of 1 to {MAX_CHAIN} certificates is expected")
    return certs


def public_key_bits(key: Any) -> bytes:
    """The subjectPublicKey bit string's contents of a public key (or of a private key's)."""
    if hasattr(key, "public_key"):
        key = key.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    raise CertificateInvalid("unsupported key type (EC or RSA expected)")


def _key_bits(cert: x509.Certificate) -> bytes:
    return public_key_bits(cert.public_key())


def hash_data(
    cert: x509.Certificate, algorithm: str = "SHA256", issuer: x509.Certificate | None = None
) -> dict[str, str]:
    """OCPP's CertificateHashDataType of `cert` (a root is its own issuer)."""
    h = HASHES[algorithm]
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": h(cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": h(_key_bits(issuer or cert)).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),
    }


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _check_dates(cert: x509.Certificate, now: datetime, what: str) -> None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateInvalid(f"{what} is outside its validity period")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, exceptions.InvalidSignature):
        return False
    return True


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


@dataclass(frozen=True)
class Installed:
    use: CertificateUse
    cert: x509.Certificate
    path: Path


class CertificateStore:
    def __init__(self, directory: Path, *, max_certificates: int = 10) -> None:
        self.directory = directory
        self.max_certificates = max_certificates
        private_dir(directory)

    def _folder(self, use: CertificateUse) -> Path:
        return self.directory / use

    def installed(self, use: CertificateUse | None = None) -> list[Installed]:
        out: list[Installed] = []
        for u in USES if use is None else (use,):
            folder = self._folder(u)
            for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
                try:
                    out.append(Installed(u, load_one(path.read_bytes()), path))
                except CertificateInvalid:
                    continue  # a damaged file is not a trusted root
        return out

    def roots(self, use: CertificateUse) -> list[x509.Certificate]:
        return [i.cert for i in self.installed(use)]

    def roots_pem(self, use: CertificateUse) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.roots(use))

    def install(self, use: CertificateUse, pem: str | bytes, now: datetime) -> x509.Certificate:
        """Install a root; CertificateInvalid when it is not a valid CA certificate now,
        StoreFull when the store holds CertificateStoreMaxLength certificates already."""
        if use not in USES:
            raise CertificateInvalid(f"unknown certificate type {use!r}")
        cert = load_one(pem)
        if not _is_ca(cert):
            raise CertificateInvalid("not a CA certificate")
        _check_dates(cert, now, "the certificate")
        fingerprint = cert.fingerprint(hashes.SHA256()).hex()
        path = self._folder(use) / f"{fingerprint}.pem"
        if path.exists():
            return cert  # installing the same certificate again changes nothing
        if len(self.installed()) >= self.max_certificates:
            raise StoreFull(f"the store holds {self.max_certificates} certificates already")
        private_dir(path.parent)
        write_private(path, cert.public_bytes(serialization.Encoding.PEM))
        return cert

    def find(self, wanted: dict[str, str]) -> Installed | None:
        algorithm = wanted.get("hashAlgorithm", "")
        if algorithm not in HASHES:
            return None
        want = {k: str(v).lower() for k, v in wanted.items() if k != "hashAlgorithm"}
        for item in self.installed():
            have = hash_data(item.cert, algorithm)
            if all(have[k] == want.get(k) for k in ("issuerNameHash", "issuerKeyHash")) and (
                int(have["serialNumber"], 16) == _hex_or_none(want.get("serialNumber", ""))
            ):
                return item
        return None

    def delete(self, item: Installed) -> None:
        item.path.unlink(missing_ok=True)

    # --- the charger's own certificate (security profile 3) ------------------------------------

    def chargepoint_chain(self) -> bytes | None:
        path = self.directory / CHAIN_FILE
        return path.read_bytes() if path.exists() else None

    def set_chargepoint_chain(self, pem: bytes) -> None:
        write_private(self.directory / CHAIN_FILE, pem)


class StoreFull(Exception):
    pass


def _hex_or_none(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


def check_chargepoint_chain(
    chain: list[x509.Certificate],
    roots: list[x509.Certificate],
    *,
    identity: str,
    public_key_bits: bytes,
    now: datetime,
) -> None:
    """CertificateInvalid unless `chain` (leaf first) is the charger's valid certificate."""
    leaf = chain[0]
    if common_name(leaf) != identity:
        raise CertificateInvalid("the certificate's common name is not this charger's identity")
    if _key_bits(leaf) != public_key_bits:
        raise CertificateInvalid("the certificate is not for this charger's key")
    if _is_ca(leaf):
        raise CertificateInvalid("the charger's certificate must not be a CA")
    for n, cert in enumerate(chain):
        _check_dates(cert, now, "the leaf certificate" if n == 0 else f"chain certificate {n}")
    for cert, issuer in itertools.pairwise(chain):
        if not _issued_by(cert, issuer):
            raise CertificateInvalid("the chain is not in order or not signed by its issuers")
    last = chain[-1]
    if not any(_issued_by(last, root) or last == root for root in roots):
        raise CertificateInvalid("the chain does not lead to an installed CSMS root")
