"""The start of every self-signed certificate we make (the manufacturer's firmware root, the
owner API's own certificate): subject = issuer, a random serial, valid from five minutes ago (a
clock a little behind must still accept it) for `days`."""

from __future__ import annotations

from datetime import datetime, timedelta

from smartcharge.chargepoint.security.crypto import ec, rsa, x509


def self_signed(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, name: x509.Name, now: datetime, days: int
) -> x509.CertificateBuilder:
    """A builder to add extensions to, then sign with `key`."""
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
    )
