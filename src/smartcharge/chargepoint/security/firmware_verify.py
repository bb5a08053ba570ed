"""Signed firmware, the charger's side (R29): check the signing certificate, then the signature.

SignedUpdateFirmware brings `firmware.signingCertificate` (PEM) and `firmware.signature` (base64).
Before anything is installed the charger checks that the certificate was issued by the installed
manufacturer root, is within its validity period and is meant for signing (key usage
digitalSignature, not a CA; when it has an extended key usage, codeSigning), and that the
signature over the downloaded bytes verifies with its key using SHA-256:

- ECDSA (P-256 or P-384): a DER-encoded signature;
- RSA (2048 bits or more): PKCS#1 v1.5, which `smartcharge firmware sign` makes; RSA-PSS
  (MGF1-SHA-256, any salt length) is accepted too.

The two exception classes are named after the security events to log
(InvalidFirmwareSigningCertificate, InvalidFirmwareSignature): the caller logs `exc.event_type`
with `str(exc)` as techInfo.

An encrypted image (`firmware_image.encrypt`) is signed as encrypted: its origin is verified here
before the per-model key ever touches it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from smartcharge.chargepoint.security.crypto import ec, exceptions, hashes, oid, padding, rsa, x509

MAX_SIGNATURE_B64 = 800  # OCPP 1.6 whitepaper: firmware.signature is a string of at most 800


class FirmwareVerificationError(Exception):
    """The image must not be installed; the message says why (it is fit for techInfo)."""

    @property
    def event_type(self) -> str:
        return type(self).__name__


class InvalidFirmwareSigningCertificate(FirmwareVerificationError):
    pass


class InvalidFirmwareSignature(FirmwareVerificationError):
    pass


def _load_cert(pem: str | bytes, what: str) -> x509.Certificate:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise InvalidFirmwareSigningCertificate(f"{what} is not a PEM X.509 certificate") from None


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()[:120]


def _check_validity(cert: x509.Certificate, what: str, now: datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise InvalidFirmwareSigningCertificate(
            f"{what} is not valid before {cert.not_valid_before_utc.isoformat()}"
        )
    if now > cert.not_valid_after_utc:
        raise InvalidFirmwareSigningCertificate(
            f"{what} expired at {cert.not_valid_after_utc.isoformat()}"
        )


def check_signing_certificate(
    signing_cert_pem: str | bytes, manufacturer_root_pem: str | bytes, now: datetime | None
) -> x509.Certificate:
    """The signing certificate, once it is shown to be the manufacturer's, valid at `now`
    (`None`: skip the validity period, e.g. for a boot check of an already installed image)."""
    cert = _load_cert(signing_cert_pem, "the signing certificate")
    root = _load_cert(manufacturer_root_pem, "the installed manufacturer root")
    try:
        root_ca = root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        root_ca = False
    if not root_ca:
        raise InvalidFirmwareSigningCertificate(
            "the installed manufacturer root is not a CA certificate"
        )
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, exceptions.InvalidSignature):
        raise InvalidFirmwareSigningCertificate(
            f"the signing certificate ({_subject(cert)}) was not issued by the manufacturer root"
            f" ({_subject(root)})"
        ) from None
    if now is not None:
        _check_validity(root, "the manufacturer root", now)
        _check_validity(cert, "the signing certificate", now)
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise InvalidFirmwareSigningCertificate(
                "the signing certificate is a CA certificate, not a signing certificate"
            )
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise InvalidFirmwareSigningCertificate(
            "the signing certificate has no key usage (digitalSignature is required)"
        ) from None
    if not usage.digital_signature:
        raise InvalidFirmwareSigningCertificate(
            "the signing certificate's key usage does not include digitalSignature"
        )
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    if eku is not None and oid.ExtendedKeyUsageOID.CODE_SIGNING not in eku:
        raise InvalidFirmwareSigningCertificate(
            "the signing certificate's extended key usage does not include codeSigning"
        )
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise InvalidFirmwareSigningCertificate(
                f"the signing key is RSA {key.key_size}; at least 2048 bits are required"
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ("secp256r1", "secp384r1"):
            raise InvalidFirmwareSigningCertificate(
                f"the signing key's curve {key.curve.name} is not supported (P-256, P-384)"
            )
    else:
        raise InvalidFirmwareSigningCertificate(
            "the signing key is neither RSA nor ECDSA; only those are supported"
        )
    return cert


def decode_signature(signature_b64: str) -> bytes:
    text = (signature_b64 or "").strip()
    if not text:
        raise InvalidFirmwareSignature("the image is not signed (empty signature)")
    if len(text) > MAX_SIGNATURE_B64 * 2:
        raise InvalidFirmwareSignature("the signature is too long")
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidFirmwareSignature("the signature is not valid base64") from None
    if not raw:
        raise InvalidFirmwareSignature("the image is not signed (empty signature)")
    return raw


def check_signature(data: bytes, signature: bytes, cert: x509.Certificate) -> None:
    key = cert.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return
        if isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except exceptions.InvalidSignature:
                pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO)
                key.verify(signature, data, pss, hashes.SHA256())
            return
    except exceptions.InvalidSignature:
        raise InvalidFirmwareSignature(
            f"the signature does not match the image ({len(data)} bytes) and the key of"
            f" {_subject(cert)}: the image was changed or signed with another key"
        ) from None
    raise InvalidFirmwareSigningCertificate("the signing key is neither RSA nor ECDSA")


def verify(
    image: bytes,
    signature_b64: str,
    signing_cert_pem: str | bytes,
    manufacturer_root_pem: str | bytes,
    now: datetime | None,
) -> None:
    """Return only if `image` is the manufacturer's, signed with a certificate valid at `now`.

    Raises InvalidFirmwareSigningCertificate or InvalidFirmwareSignature (the certificate is
    checked first, as the whitepaper orders the two events). `now=None` skips only the validity
    period check (boot integrity of software that was verified when it was installed).
    """
    if now is not None and (now.tzinfo is None or now.utcoffset() is None):
        raise ValueError("now must be timezone-aware")
    cert = check_signing_certificate(signing_cert_pem, manufacturer_root_pem, now)
    check_signature(image, decode_signature(signature_b64), cert)
