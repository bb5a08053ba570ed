"""The owner API's own certificate when none is configured: made once, per charger, key 0600."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

from cryptography import x509

from smartcharge.chargepoint.owner_api import tls


def test_a_charger_makes_its_own_certificate_once(tmp_path: Path) -> None:
    cert, key = tls.ensure_certificate(tmp_path / "owner_api", "garage-1")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "owner_api").stat().st_mode) == 0o700
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    names = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "garage-1" in names.get_values_for_type(x509.DNSName)
    first = tls.fingerprint(cert)
    assert len(first.split(":")) == 32
    assert tls.ensure_certificate(tmp_path / "owner_api", "garage-1") == (cert, key)
    assert tls.fingerprint(cert) == first  # kept, not remade at each start
    ctx = tls.server_context(cert, key)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    other, _ = tls.ensure_certificate(tmp_path / "other", "garage-2")
    assert tls.fingerprint(other) != first  # no key shared between two chargers
