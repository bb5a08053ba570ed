"""The manufacturer's firmware PKI and release signing (R29), checked by the charger's verifier."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pki_fixtures import VERIFY_AT

from smartcharge.chargepoint.security import firmware_image
from smartcharge.chargepoint.security.firmware_verify import InvalidFirmwareSignature, verify
from smartcharge.manufacturer.keys import KeyFiles, create_keys, load_private_key
from smartcharge.manufacturer.signing import sign, sign_release

IMAGE = b"firmware image " * 1000
NOW = VERIFY_AT


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_keys_make_a_root_and_a_code_signing_certificate(pki: KeyFiles) -> None:
    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(pki.signing_cert.read_bytes())
    cert.verify_directly_issued_by(root)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CODE_SIGNING]
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha256"
    key = cert.public_key()
    assert (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1") or (
        isinstance(key, rsa.RSAPublicKey) and key.key_size == 3072
    )
    assert cert.not_valid_after_utc <= root.not_valid_after_utc
    for private in (pki.root_key, pki.signing_key, pki.model_key):
        assert private is not None and mode(private) == 0o600
    assert mode(pki.root_cert.parent) == 0o700
    assert pki.model_key is not None and len(pki.model_key.read_bytes()) == 32


def test_keys_are_new_each_time_and_never_overwritten(tmp_path: Path) -> None:
    a = create_keys(tmp_path / "a")
    b = create_keys(tmp_path / "b")
    assert a.signing_key.read_bytes() != b.signing_key.read_bytes()
    with pytest.raises(FileExistsError):
        create_keys(tmp_path / "a")


def test_keys_with_a_passphrase(tmp_path: Path) -> None:
    files = create_keys(tmp_path / "k", passphrase=b"correct horse battery staple")
    pem = files.signing_key.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises(ValueError, match="passphrase"):
        load_private_key(pem)
    with pytest.raises(ValueError, match="passphrase"):
        load_private_key(pem, b"wrong")
    load_private_key(pem, b"correct horse battery staple")


def test_sign_refuses_a_key_of_another_certificate(pki: KeyFiles, ec_pki: KeyFiles) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        sign(
            IMAGE, load_private_key(ec_pki.signing_key.read_bytes()), pki.signing_cert.read_bytes()
        )


def test_a_signed_release_verifies_on_the_charger(pki: KeyFiles, tmp_path: Path) -> None:
    release = sign_release(
        IMAGE, pki.signing_key.read_bytes(), pki.signing_cert.read_bytes(), tmp_path / "rel"
    )
    info = json.loads(release.info.read_text())
    published = release.image.read_bytes()
    assert published == IMAGE and info["encrypted"] is False
    verify(published, info["signature"], info["signingCertificate"], pki.root_cert.read_text(), NOW)
    firmware = release.signature.ocpp_firmware("https://fw.example/1.bin", "2026-01-01T00:00:00Z")
    assert set(firmware) == {"location", "retrieveDateTime", "signingCertificate", "signature"}


def test_an_encrypted_release_reveals_nothing_and_round_trips(
    pki: KeyFiles, tmp_path: Path
) -> None:
    assert pki.model_key is not None
    model_key = pki.model_key.read_bytes()
    release = sign_release(
        IMAGE,
        pki.signing_key.read_bytes(),
        pki.signing_cert.read_bytes(),
        tmp_path / "rel",
        model_key=model_key,
        model="AC-7",
    )
    info = json.loads(release.info.read_text())
    published = release.image.read_bytes()
    assert info["encrypted"] is True and info["model"] == "AC-7"
    assert b"firmware image" not in published
    root = pki.root_cert.read_text()
    verify(published, info["signature"], info["signingCertificate"], root, NOW)
    assert firmware_image.decrypt(published, model_key, "AC-7") == IMAGE
    tampered = published[:100] + bytes([published[100] ^ 0x80]) + published[101:]
    with pytest.raises(InvalidFirmwareSignature):
        verify(tampered, info["signature"], info["signingCertificate"], root, NOW)
    with pytest.raises(firmware_image.FirmwareDecryptionError):
        firmware_image.decrypt(tampered, model_key, "AC-7")


def test_release_needs_an_image_and_a_complete_encryption_request(
    ec_pki: KeyFiles, tmp_path: Path
) -> None:
    key, cert = ec_pki.signing_key.read_bytes(), ec_pki.signing_cert.read_bytes()
    with pytest.raises(ValueError, match="empty"):
        sign_release(b"", key, cert, tmp_path / "r")
    with pytest.raises(ValueError, match="model"):
        sign_release(IMAGE, key, cert, tmp_path / "r", model_key=b"k" * 32)
