"""Encrypted firmware images (R29): AES-256-GCM with a per-model key, so a leaked image reveals
nothing and a changed one fails to open.

Format: `MAGIC || nonce (12 bytes) || ciphertext+tag`, with the magic and the model name as
authenticated data (an image for another model fails even if it shared a key). The manufacturer
encrypts, then signs the encrypted bytes; the charger verifies the signature (firmware_verify)
before it decrypts.
"""

from __future__ import annotations

import secrets

from smartcharge.chargepoint.security.crypto import aead, exceptions

MAGIC = b"SCFWENC1"
NONCE_BYTES = 12


class FirmwareDecryptionError(Exception):
    """The encrypted image could not be opened: changed, truncated, or another model's key."""


def new_model_key() -> bytes:
    return secrets.token_bytes(32)


def is_encrypted(data: bytes) -> bool:
    return data.startswith(MAGIC)


def _aad(model: str) -> bytes:
    return MAGIC + model.encode()


def encrypt(image: bytes, model_key: bytes, model: str) -> bytes:
    if len(model_key) != 32:
        raise ValueError("the model key must be 256 bits")
    nonce = secrets.token_bytes(NONCE_BYTES)
    return MAGIC + nonce + aead.AESGCM(model_key).encrypt(nonce, image, _aad(model))


def decrypt(data: bytes, model_key: bytes, model: str) -> bytes:
    if len(model_key) != 32:
        raise ValueError("the model key must be 256 bits")
    if not is_encrypted(data) or len(data) < len(MAGIC) + NONCE_BYTES + 16:
        raise FirmwareDecryptionError("not an encrypted smartcharge firmware image")
    body = data[len(MAGIC) :]
    try:
        return aead.AESGCM(model_key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _aad(model))
    except exceptions.InvalidTag:
        raise FirmwareDecryptionError(
            f"the encrypted image failed authentication for model {model!r}"
        ) from None
