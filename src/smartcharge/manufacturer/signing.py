"""Signing firmware images for OCPP SignedUpdateFirmware (R29).

`sign(data, key, cert)` gives what the central system puts in the request's `firmware` object:
`signature` (base64 of an ECDSA/SHA-256 DER signature or an RSA PKCS#1 v1.5/SHA-256 signature over
the exact bytes the charger downloads) and `signingCertificate` (the PEM certificate).

`sign_release(image, ...)` is the whole manufacturer step behind `smartcharge firmware sign`:
optionally encrypt the image with the per-model key, sign the bytes to publish, and write them
with a JSON description next to them.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from smartcharge.chargepoint.security import firmware_image
from smartcharge.manufacturer.keys import PrivateKey, load_private_key

RELEASE_IMAGE = "firmware.bin"
RELEASE_INFO = "firmware.json"


@dataclass(frozen=True)
class Signature:
    signature: str  # base64, for firmware.signature
    signing_certificate: str  # PEM, for firmware.signingCertificate

    def ocpp_firmware(self, location: str, retrieve_date_time: str) -> dict[str, Any]:
        """The `firmware` object of a SignedUpdateFirmware request."""
        return {
            "location": location,
            "retrieveDateTime": retrieve_date_time,
            "signingCertificate": self.signing_certificate,
            "signature": self.signature,
        }


def sign(data: bytes, key: PrivateKey, cert_pem: bytes) -> Signature:
    cert = x509.load_pem_x509_certificate(cert_pem)
    if cert.public_key() != key.public_key():
        raise ValueError("the key does not belong to the signing certificate")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:
        assert isinstance(key, rsa.RSAPrivateKey)
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return Signature(base64.b64encode(raw).decode("ascii"), cert_pem.decode("ascii"))


@dataclass(frozen=True)
class Release:
    image: Path  # the bytes to publish at the firmware location
    info: Path  # firmware.json: signature, signing certificate, sha256, encrypted, model
    signature: Signature


def sign_release(
    image: bytes,
    key_pem: bytes,
    cert_pem: bytes,
    out: Path,
    *,
    passphrase: bytes | None = None,
    model_key: bytes | None = None,
    model: str | None = None,
) -> Release:
    """Encrypt (with a model key) and sign `image`; write `firmware.bin` and `firmware.json`."""
    if not image:
        raise ValueError("the image is empty")
    if (model_key is None) != (model is None):
        raise ValueError("encryption needs both the model key and the model name")
    key = load_private_key(key_pem, passphrase)
    payload = image if model_key is None else firmware_image.encrypt(image, model_key, str(model))
    signature = sign(payload, key, cert_pem)
    out.mkdir(parents=True, exist_ok=True)
    image_path, info_path = out / RELEASE_IMAGE, out / RELEASE_INFO
    image_path.write_bytes(payload)
    info = {
        "signature": signature.signature,
        "signingCertificate": signature.signing_certificate,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
        "encrypted": model_key is not None,
        "model": model,
    }
    info_path.write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return Release(image_path, info_path, signature)
