"""Test CAs for the OCPP connection's TLS (made at test time with trustme; nothing committed)."""

from __future__ import annotations

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from smartcharge.chargepoint.security.provisioning import Provisioned, provision


def server_context(ca: trustme.CA, *, mutual: bool = False) -> ssl.SSLContext:
    """A CSMS's TLS: a certificate for localhost from `ca`; with `mutual`, client certificates
    from `ca` are required (security profile 3)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    if mutual:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(ctx)
    return ctx


def write_root(ca: trustme.CA, path: Path) -> Path:
    ca.cert_pem.write_to_path(str(path))
    return path


def sign_csr(
    ca: trustme.CA,
    csr_pem: bytes,
    *,
    not_before: datetime | None = None,
    days: int = 7300,
    common_name: str | None = None,
) -> bytes:
    """What a CSMS's CA does with a charger's CSR: the leaf certificate, PEM."""
    csr = x509.load_pem_x509_csr(csr_pem)
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    subject = csr.subject
    if common_name is not None:
        subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, common_name)])
    start = not_before or datetime(2020, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def provisioned(folder: Path, identity: str) -> Provisioned:
    return provision(identity, folder, serial_number=f"SN-{identity}")


class BlockingTlsServer:
    """A TLS server on a thread with the ssl module's blocking sockets, which (unlike asyncio's
    TLS) sends its alert before closing a failed handshake, as deployed servers do: the way to
    show the charger an old TLS version or a weak cipher suite. It never gets to HTTP."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.handshakes_failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass  # a handshake that succeeds would be a test failure: nothing to say
            except (ssl.SSLError, OSError):
                self.handshakes_failed += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
