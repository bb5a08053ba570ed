"""Signed firmware on the charger (R29): only the manufacturer's untouched image passes."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pki_fixtures import VERIFY_AT

from smartcharge.chargepoint.security import firmware_image
from smartcharge.chargepoint.security.firmware_verify import (
    FirmwareVerificationError,
    InvalidFirmwareSignature,
    InvalidFirmwareSigningCertificate,
    verify,
)
from smartcharge.manufacturer.keys import (
    KeyFiles,
    PrivateKey,
    cert_pem,
    load_private_key,
    make_root,
    make_signing_cert,
    new_key,
)
from smartcharge.manufacturer.signing import sign

IMAGE = b'{"format": "smartcharge-sim-firmware", "version": "1.2.3"}' + bytes(range(256)) * 40
NOW = VERIFY_AT


def material(pki: KeyFiles) -> tuple[bytes, bytes, bytes]:
    """(signing key PEM, signing cert PEM, root cert PEM)"""
    return pki.signing_key.read_bytes(), pki.signing_cert.read_bytes(), pki.root_cert.read_bytes()


def signed(pki: KeyFiles, data: bytes = IMAGE) -> tuple[str, str, str]:
    key_pem, cert, root = material(pki)
    sig = sign(data, load_private_key(key_pem), cert)
    return sig.signature, sig.signing_certificate, root.decode()


def test_a_good_image_passes(pki: KeyFiles) -> None:
    signature, cert, root = signed(pki)
    verify(IMAGE, signature, cert, root, NOW)
    verify(IMAGE, signature, cert.encode(), root.encode(), NOW)  # bytes or str


def test_a_tampered_image_is_rejected(pki: KeyFiles) -> None:
    signature, cert, root = signed(pki)
    for changed in (IMAGE[:-1], IMAGE + b"\0", bytes([IMAGE[0] ^ 1]) + IMAGE[1:]):
        with pytest.raises(InvalidFirmwareSignature, match="changed or signed with another key"):
            verify(changed, signature, cert, root, NOW)


def _raw_sign(key: PrivateKey, data: bytes) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(raw).decode()


def test_an_image_signed_with_another_key_is_rejected(pki: KeyFiles) -> None:
    _, cert, root = signed(pki)
    others = [load_private_key(pki.root_key.read_bytes()), new_key("ecdsa")]
    for other in others:
        with pytest.raises(InvalidFirmwareSignature):
            verify(IMAGE, _raw_sign(other, IMAGE), cert, root, NOW)


@pytest.mark.parametrize("signature", ["", "   ", "====", "not base64!"])
def test_an_unsigned_image_is_rejected(pki: KeyFiles, signature: str) -> None:
    _, cert, root = signed(pki)
    with pytest.raises(InvalidFirmwareSignature, match=r"not signed|base64"):
        verify(IMAGE, signature, cert, root, NOW)


def test_a_self_signed_certificate_is_rejected(pki: KeyFiles) -> None:
    _, _, root = signed(pki)
    # an attacker's own "manufacturer" with the same name, signing its image properly
    rogue_root_key = new_key("ecdsa")
    rogue_root = make_root(rogue_root_key, "Acme Chargers", NOW)
    rogue_key = new_key("ecdsa")
    rogue_cert = cert_pem(make_signing_cert(rogue_key, rogue_root, rogue_root_key, NOW))
    sig = sign(IMAGE, rogue_key, rogue_cert)
    with pytest.raises(InvalidFirmwareSigningCertificate, match="not issued by the manufacturer"):
        verify(IMAGE, sig.signature, sig.signing_certificate, root, NOW)
    # and the rogue root itself presented as the signing certificate
    sig = sign(IMAGE, rogue_root_key, cert_pem(rogue_root))
    with pytest.raises(InvalidFirmwareSigningCertificate):
        verify(IMAGE, sig.signature, sig.signing_certificate, root, NOW)


def test_the_root_itself_is_not_a_signing_certificate(pki: KeyFiles) -> None:
    root_key = load_private_key(pki.root_key.read_bytes())
    root = pki.root_cert.read_bytes()
    sig = sign(IMAGE, root_key, root)
    with pytest.raises(InvalidFirmwareSigningCertificate, match="CA certificate"):
        verify(IMAGE, sig.signature, sig.signing_certificate, root, NOW)


def test_expired_and_not_yet_valid_certificates_are_rejected(pki: KeyFiles) -> None:
    signature, cert, root = signed(pki)
    not_after = x509.load_pem_x509_certificate(cert.encode()).not_valid_after_utc
    with pytest.raises(InvalidFirmwareSigningCertificate, match="expired"):
        verify(IMAGE, signature, cert, root, not_after + timedelta(seconds=1))
    with pytest.raises(InvalidFirmwareSigningCertificate, match="not valid before"):
        verify(IMAGE, signature, cert, root, NOW - timedelta(days=1))
    verify(IMAGE, signature, cert, root, None)  # the boot check skips only the dates


def _issue(pki: KeyFiles, builder_ext: list[tuple[x509.ExtensionType, bool]]) -> tuple[str, str]:
    root_key = load_private_key(pki.root_key.read_bytes())
    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    key = new_key("ecdsa")
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(hours=1))
        .not_valid_after(NOW + timedelta(days=1))
    )
    for ext, critical in builder_ext:
        builder = builder.add_extension(ext, critical=critical)
    cert = cert_pem(builder.sign(root_key, hashes.SHA256()))
    return sign(IMAGE, key, cert).signature, cert.decode()


def _usage(digital_signature: bool, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature, False, False, False, False, cert_sign, False, False, False
    )


@pytest.mark.parametrize(
    "extensions, why",
    [
        ([], "no key usage"),
        ([(_usage(False, cert_sign=True), True)], "digitalSignature"),
        (
            [
                (_usage(True), True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            ],
            "codeSigning",
        ),
    ],
)
def test_wrong_key_usage_is_rejected(
    ec_pki: KeyFiles, extensions: list[tuple[x509.ExtensionType, bool]], why: str
) -> None:
    signature, cert = _issue(ec_pki, extensions)
    with pytest.raises(InvalidFirmwareSigningCertificate, match=why):
        verify(IMAGE, signature, cert, ec_pki.root_cert.read_text(), NOW)


def test_key_usage_without_extended_key_usage_is_enough(ec_pki: KeyFiles) -> None:
    signature, cert = _issue(ec_pki, [(_usage(True), True)])
    verify(IMAGE, signature, cert, ec_pki.root_cert.read_text(), NOW)


def test_garbage_certificates_are_rejected(ec_pki: KeyFiles) -> None:
    signature, cert, root = signed(ec_pki)
    with pytest.raises(InvalidFirmwareSigningCertificate, match="signing certificate is not"):
        verify(IMAGE, signature, "-----BEGIN CERTIFICATE-----\nAAAA\n", root, NOW)
    with pytest.raises(InvalidFirmwareSigningCertificate, match="root is not"):
        verify(IMAGE, signature, cert, "", NOW)
    with pytest.raises(InvalidFirmwareSigningCertificate, match="root is not a CA"):
        verify(IMAGE, signature, cert, cert, NOW)


def test_rsa_pss_signatures_are_accepted_too(rsa_pki: KeyFiles) -> None:
    pki = rsa_pki
    key = load_private_key(pki.signing_key.read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey)
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH)
    raw = key.sign(IMAGE, pss, hashes.SHA256())
    verify(
        IMAGE,
        base64.b64encode(raw).decode(),
        pki.signing_cert.read_text(),
        pki.root_cert.read_text(),
        NOW,
    )


def test_errors_name_their_security_event(pki: KeyFiles) -> None:
    signature, cert, root = signed(pki)
    with pytest.raises(FirmwareVerificationError) as info:
        verify(IMAGE + b"x", signature, cert, root, NOW)
    assert info.value.event_type == "InvalidFirmwareSignature"


def test_encrypted_image_round_trip_and_tamper_detection(pki: KeyFiles) -> None:
    assert pki.model_key is not None
    model_key = pki.model_key.read_bytes()
    sealed = firmware_image.encrypt(IMAGE, model_key, "AC-7")
    assert IMAGE[:40] not in sealed and firmware_image.is_encrypted(sealed)
    signature, cert, root = signed(pki, sealed)
    verify(sealed, signature, cert, root, NOW)  # origin first, on the encrypted bytes
    assert firmware_image.decrypt(sealed, model_key, "AC-7") == IMAGE

    changed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(InvalidFirmwareSignature):
        verify(changed, signature, cert, root, NOW)
    with pytest.raises(firmware_image.FirmwareDecryptionError):
        firmware_image.decrypt(changed, model_key, "AC-7")
    with pytest.raises(firmware_image.FirmwareDecryptionError):
        firmware_image.decrypt(sealed, model_key, "AC-8")  # another model
    with pytest.raises(firmware_image.FirmwareDecryptionError):
        firmware_image.decrypt(sealed, firmware_image.new_model_key(), "AC-7")
    with pytest.raises(firmware_image.FirmwareDecryptionError):
        firmware_image.decrypt(IMAGE, model_key, "AC-7")  # not encrypted
