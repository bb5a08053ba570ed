"""The platform's CA for charge point certificates, and the checks on what comes in and goes out
(OCPP 1.6 security whitepaper, certificate management). Pure X.509 work, no I/O but the CA's
own files.

- A CSR from SignCertificate is signed only if its signature is valid, its subject's common
  name is the charger's identity (what security profile 3 checks on every connection) and its
  key is what the whitepaper asks for: RSA of at least 2048 bits or an elliptic curve of at
  least 224 bits, signed with SHA-256 or stronger.
- A certificate sent to a charger (InstallCertificate) is checked first: one PEM certificate, a
  CA, in date, self-signed with a valid signature, a key of the same strength.
- The CA is the operator's (`charger_ca_cert` / `charger_ca_key`: several nodes must share one)
  or the platform's own, made once in the data folder (EC P-256, ten years, its key readable by
  the platform's user only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_PEM = 5500  # the schemas' limit for a CSR and for InstallCertificate's certificate
MIN_RSA_BITS = 2048
MIN_EC_BITS = 224
STRONG_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
OWN_CA_YEARS = 10
CLOCK_SKEW = timedelta(minutes=5)  # a charger whose clock is a little behind still accepts it


class CertificateRefused(ValueError):
    """Why a CSR or a certificate is refused, in words (never its content)."""


def check_key(key: object, what: str) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CertificateRefused(f"{what}: RSA key of {key.key_size} bits (2048 at least)")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MIN_EC_BITS:
            raise CertificateRefused(f"{what}: EC key of {key.curve.key_size} bits (224 at least)")
    else:
        raise CertificateRefused(f"{what}: the key is neither RSA nor an elliptic curve")


def _check_hash(algorithm: object, what: str) -> None:
    if not isinstance(algorithm, STRONG_HASHES):
        raise CertificateRefused(f"{what}: signed with a weak hash (SHA-256 or stronger needed)")


def common_names(name: x509.Name) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)]


def check_csr(pem: str, identity: str) -> x509.CertificateSigningRequest:
    """The CSR, or `CertificateRefused` saying why it may not be signed."""
    if len(pem) > MAX_PEM:
        raise CertificateRefused("the CSR is longer than 5500 characters")
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except (ValueError, UnicodeEncodeError):
        raise CertificateRefused("not a PEM certificate signing request") from None
    if not csr.is_signature_valid:
        raise CertificateRefused("the CSR's signature is not valid")
    names = common_names(csr.subject)
    if names != [identity]:
        raise CertificateRefused("the CSR's common name is not the charger's identity")
    check_key(csr.public_key(), "the CSR")
    _check_hash(csr.signature_hash_algorithm, "the CSR")
    return csr


def check_root(pem: str, now: datetime) -> x509.Certificate:
    """A root certificate fit to install on a charger, or `CertificateRefused`."""
    if len(pem) > MAX_PEM:
        raise CertificateRefused("the certificate is longer than 5500 characters")
    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except (ValueError, UnicodeEncodeError):
        raise CertificateRefused("not a PEM certificate") from None
    if len(certs) != 1:
        raise CertificateRefused("one certificate at a time, please")
    cert = certs[0]
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise CertificateRefused("not a CA certificate")
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateRefused("the certificate is not valid now (expired or not yet valid)")
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        raise CertificateRefused("not a self-signed root, or its signature is not valid") from None
    check_key(cert.public_key(), "the certificate")
    _check_hash(cert.signature_hash_algorithm, "the certificate")
    return cert


@dataclass(frozen=True)
class ChargerCa:
    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes
    chain: tuple[x509.Certificate, ...]  # the CA and whatever came after it in its file

    @classmethod
    def load(cls, cert_path: Path, key_path: Path) -> ChargerCa:
        """The operator's CA (its file may carry its own chain after it). Raises
        `CertificateRefused` for a certificate that is no CA or a key that is not its key."""
        chain = tuple(x509.load_pem_x509_certificates(cert_path.read_bytes()))
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CertificateRefused("the CA key is neither RSA nor an elliptic curve")
        cert = chain[0]
        if _spki(cert.public_key()) != _spki(key.public_key()):
            raise CertificateRefused("the CA key does not belong to the CA certificate")
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            raise CertificateRefused("the CA certificate is not a CA")
        return cls(cert, key, chain)

    @classmethod
    def own(cls, directory: Path, now: datetime) -> ChargerCa:
        """The platform's own CA in `directory`, made on first use."""
        cert_path, key_path = directory / "charger-ca.pem", directory / "charger-ca.key"
        if cert_path.exists() and key_path.exists():
            return cls.load(cert_path, key_path)
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smartcharge charger CA")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + timedelta(days=365 * OWN_CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key_pem)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(cert, key, (cert,))

    def issue(
        self, csr: x509.CertificateSigningRequest, now: datetime, days: int
    ) -> x509.Certificate:
        """A charge point certificate for a checked CSR: its subject, a client certificate
        (TLS client authentication), valid `days` (never past the CA's own end)."""
        public = csr.public_key()
        assert isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        end = min(now + timedelta(days=days), self.cert.not_valid_after_utc)
        return (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_usage(public), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    def chain_pem(self, leaf: x509.Certificate) -> str:
        """The CertificateSigned chain: the new certificate, then the CA's chain."""
        return "".join(
            c.public_bytes(serialization.Encoding.PEM).decode() for c in (leaf, *self.chain)
        )


def _spki(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _usage(**on: bool) -> x509.KeyUsage:
    """A KeyUsage with only the named uses on."""
    return x509.KeyUsage(**{use: on.get(use, False) for use in USAGES})


def _ca_usage() -> x509.KeyUsage:
    return _usage(digital_signature=True, key_cert_sign=True, crl_sign=True)


def _leaf_usage(public: object) -> x509.KeyUsage:
    return _usage(
        digital_signature=True,
        key_encipherment=isinstance(public, rsa.RSAPublicKey),
        key_agreement=isinstance(public, ec.EllipticCurvePublicKey),
    )
