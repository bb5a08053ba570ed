"""TLS for the OCPP connection (security profiles 2 and 3, R33).

- TLS 1.2 or newer only, with the whitepaper's cipher suites for TLS 1.2 (ECDHE with AES-GCM;
  TLS 1.3 suites are all AEAD and left as OpenSSL has them).
- The central system's certificate is checked against the installed CSMS root certificates
  only, never against the operating system's public CAs: a server presenting any other
  certificate is refused. The host name is checked too.
- Profile 3 adds the charger's own certificate and key (mutual TLS). The private key lives
  sealed in the credential vault; Python's `ssl` loads keys only from files, so it is written,
  re-encrypted under a one-time random passphrase, to a 0600 temporary file that is removed at
  once: the plain key never touches the disk.

`failure_event` maps a failed connection attempt to the security event the whitepaper names for
it (InvalidCentralSystemCertificate, InvalidTLSVersion, InvalidTLSCipherSuite,
FailedToAuthenticateAtCentralSystem).
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
from pathlib import Path

from websockets.exceptions import InvalidStatus

from smartcharge.chargepoint.security.crypto import serialization

# OCPP 1.6 security whitepaper, TLS 1.2 cipher suites (ECDHE-ECDSA/RSA with AES-128/256-GCM).
TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" + (
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"
)

_VERSION_REASONS = frozenset(
    {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"}
)
# The central system refused the charger's certificate (profile 3).
_CLIENT_CERT_REASONS = frozenset(
    {
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        "TLSV1_ALERT_UNKNOWN_CA",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    }
)
_CIPHER_REASONS = frozenset(
    {"NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM"}
)


class TlsSetupError(Exception):
    """The charger's own TLS material cannot be used (no root installed, a bad key)."""


def client_context(
    csms_roots_pem: bytes,
    *,
    cert_chain_pem: bytes | None = None,
    private_key_pem: bytes | None = None,
) -> ssl.SSLContext:
    """A client context trusting only `csms_roots_pem`; with a certificate for mutual TLS."""
    if not csms_roots_pem.strip():
        raise TlsSetupError("no CSMS root certificate is installed")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    try:
        ctx.load_verify_locations(cadata=csms_roots_pem.decode("ascii"))
    except (ssl.SSLError, UnicodeDecodeError, ValueError) as exc:
        raise TlsSetupError("the installed CSMS root certificates cannot be read") from exc
    if cert_chain_pem is not None or private_key_pem is not None:
        if cert_chain_pem is None or private_key_pem is None:
            raise TlsSetupError("mutual TLS needs both the charger's certificate and its key")
        _load_chain(ctx, cert_chain_pem, private_key_pem)
    return ctx


def _load_chain(ctx: ssl.SSLContext, chain_pem: bytes, key_pem: bytes) -> None:
    passphrase = secrets.token_bytes(32)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise TlsSetupError("the charger's private key cannot be read") from exc
    sealed = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    folder = Path(tempfile.mkdtemp(prefix="smartcharge-tls-"))  # 0700
    try:
        chain_path, key_path = folder / "chain.pem", folder / "key.pem"
        for path, data in ((chain_path, chain_pem), (key_path, sealed)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        try:
            ctx.load_cert_chain(chain_path, key_path, password=passphrase)
        except ssl.SSLError as exc:
            raise TlsSetupError(
                "the charger's certificate does not match its key or cannot be read"
            ) from exc
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def failure_event(exc: BaseException) -> tuple[str, str] | None:
    """(security event type, techInfo) for a failed connection attempt, or None."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        # verify_message is only set when OpenSSL raised it, not on one made elsewhere
        why = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
        return "InvalidCentralSystemCertificate", f"TLS: {why}"
    if isinstance(exc, ssl.SSLError):
        reason = str(exc.reason or "")
        if reason in _VERSION_REASONS:
            return "InvalidTLSVersion", f"TLS: {reason}"
        if reason in _CLIENT_CERT_REASONS:
            return "FailedToAuthenticateAtCentralSystem", f"TLS: {reason}"
        if reason in _CIPHER_REASONS or reason.endswith("HANDSHAKE_FAILURE"):
            return "InvalidTLSCipherSuite", f"TLS: {reason}"
        return None
    if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
        return "FailedToAuthenticateAtCentralSystem", f"HTTP {exc.response.status_code}"
    return None
