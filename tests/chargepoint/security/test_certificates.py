"""The charger's certificate store and the check of its own certificate chain."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tls_fixtures import sign_csr

from smartcharge.chargepoint.security.certificates import (
    CertificateInvalid,
    CertificateStore,
    StoreFull,
    check_chargepoint_chain,
    hash_data,
    load_chain,
    load_one,
    public_key_bits,
)
from smartcharge.chargepoint.security.provisioning import make_csr

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ROOT = "CentralSystemRootCertificate"


def test_install_find_list_and_delete(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path / "certs")
    ca = trustme.CA()
    cert = store.install(ROOT, ca.cert_pem.bytes(), NOW)
    store.install(ROOT, ca.cert_pem.bytes(), NOW)  # again: no second copy
    assert [i.cert for i in store.installed(ROOT)] == [cert]
    assert store.installed("ManufacturerRootCertificate") == []
    ids = hash_data(cert)
    assert ids["serialNumber"] == format(cert.serial_number, "x")
    assert len(ids["issuerNameHash"]) == 64 and ids["hashAlgorithm"] == "SHA256"
    found = store.find(ids)
    assert found is not None and found.cert == cert
    assert store.find(hash_data(cert, "SHA384")) is not None  # any of OCPP's hash algorithms
    assert store.find({**ids, "serialNumber": "0"}) is None
    assert store.find({**ids, "hashAlgorithm": "MD5"}) is None
    store.delete(found)
    assert store.installed() == []


def test_only_valid_ca_certificates_are_installed(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path / "certs")
    ca = trustme.CA()
    leaf = ca.issue_cert("example.org").cert_chain_pems[0].bytes()
    with pytest.raises(CertificateInvalid, match="not a CA"):
        store.install(ROOT, leaf, NOW)
    with pytest.raises(CertificateInvalid, match="validity"):
        store.install(ROOT, ca.cert_pem.bytes(), datetime(1999, 1, 1, tzinfo=UTC))
    with pytest.raises(CertificateInvalid, match="one certificate"):
        store.install(ROOT, ca.cert_pem.bytes() * 2, NOW)
    with pytest.raises(CertificateInvalid, match="unknown certificate type"):
        store.install("V2GRootCertificate", ca.cert_pem.bytes(), NOW)  # type: ignore[arg-type]
    assert store.installed() == []


def test_the_store_has_a_limit(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path / "certs", max_certificates=2)
    store.install(ROOT, trustme.CA().cert_pem.bytes(), NOW)
    store.install("ManufacturerRootCertificate", trustme.CA().cert_pem.bytes(), NOW)
    with pytest.raises(StoreFull):
        store.install(ROOT, trustme.CA().cert_pem.bytes(), NOW)
    assert len(store.installed()) == 2


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_garbage_is_refused_and_installs_nothing(tmp_path: Path, junk: str | bytes) -> None:
    store = CertificateStore(tmp_path / "junk")
    with pytest.raises(CertificateInvalid):
        store.install(ROOT, junk, NOW)
    with pytest.raises(CertificateInvalid):
        load_chain(junk)
    assert store.installed() == []


def _leaf(ca: trustme.CA, identity: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = make_csr(key, identity, None).public_bytes(Encoding.PEM)
    return key, load_one(sign_csr(ca, csr))


def test_the_chargers_chain_is_checked() -> None:
    ca, other = trustme.CA(), trustme.CA()
    roots = [x509.load_pem_x509_certificate(ca.cert_pem.bytes())]
    key, leaf = _leaf(ca, "CP-1")
    bits = public_key_bits(key)
    check_chargepoint_chain([leaf], roots, identity="CP-1", public_key_bits=bits, now=NOW)
    cases = {
        "common name": dict(identity="CP-2", public_key_bits=bits, now=NOW),
        "this charger's key": dict(
            identity="CP-1",
            public_key_bits=public_key_bits(ec.generate_private_key(ec.SECP256R1())),
            now=NOW,
        ),
        "validity": dict(
            identity="CP-1", public_key_bits=bits, now=datetime(2050, 1, 1, tzinfo=UTC)
        ),
    }
    for message, kw in cases.items():
        with pytest.raises(CertificateInvalid, match=message):
            check_chargepoint_chain([leaf], roots, **kw)  # type: ignore[arg-type]
    _, foreign = _leaf(other, "CP-1")
    with pytest.raises(CertificateInvalid, match="installed CSMS root"):
        check_chargepoint_chain(
            [foreign],
            roots,
            identity="CP-1",
            public_key_bits=public_key_bits(foreign.public_key()),
            now=NOW,
        )


def test_a_chain_through_an_intermediate() -> None:
    root = trustme.CA()
    intermediate = root.create_child_ca()
    key, leaf = _leaf(intermediate, "CP-9")
    inter = x509.load_pem_x509_certificate(intermediate.cert_pem.bytes())
    roots = [x509.load_pem_x509_certificate(root.cert_pem.bytes())]
    bits = public_key_bits(key)
    check_chargepoint_chain([leaf, inter], roots, identity="CP-9", public_key_bits=bits, now=NOW)
    with pytest.raises(CertificateInvalid, match="installed CSMS root"):
        check_chargepoint_chain([leaf], roots, identity="CP-9", public_key_bits=bits, now=NOW)
    assert leaf.signature_hash_algorithm is not None
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wanted=st.dictionaries(
        st.sampled_from(["hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber", "x"]),
        st.one_of(st.text(max_size=130), st.sampled_from(["SHA256", "SHA384", "0", "-1"])),
    )
)
def test_any_hash_data_finds_nothing_and_breaks_nothing(
    tmp_path: Path, wanted: dict[str, str]
) -> None:
    store = CertificateStore(tmp_path / "find")
    if not store.installed():
        store.install(ROOT, trustme.CA().cert_pem.bytes(), NOW)
    assert store.find(wanted) is None
    assert len(store.installed()) == 1
