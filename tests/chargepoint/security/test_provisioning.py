"""Provisioning (R28, R32): unique secrets per charger, sealed at rest, no defaults anywhere."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import NameOID

from smartcharge.chargepoint.security import setup_code
from smartcharge.chargepoint.security.provisioning import (
    KNOWN_DEFAULTS,
    CredentialError,
    CredentialVault,
    VaultTampered,
    check_password,
    new_password,
    open_vault,
    provision,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_provision_makes_a_sealed_folder(tmp_path: Path) -> None:
    out = tmp_path / "CP-001"
    made = provision("CP-001", out, serial_number="SN-123456", organization="Acme")
    assert mode(out) == 0o700 and mode(out / "vault") == 0o700
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} == {
        "device.key",
        "chargepoint.csr.pem",
        "provisioning.json",
        "basic_auth_password.cred",
        "tls_private_key.cred",
        "owner-setup-code.argon2",  # the label's setup code, as a hash only (R28)
    }
    assert all(mode(p) == 0o600 for p in files)

    vault = open_vault(out)
    assert vault.get("basic_auth_password").decode() == made.password
    check_password(made.password, ["CP-001", "SN-123456"])
    assert len(made.password) == 32
    # secrets are never stored in clear text anywhere in the folder
    assert made.setup_code
    for p in files:
        assert made.password.encode() not in p.read_bytes()
        assert made.setup_code.encode() not in p.read_bytes()
        assert b"PRIVATE KEY" not in p.read_bytes()

    csr = x509.load_pem_x509_csr(made.csr_pem)
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP-001"
    key = load_pem_private_key(vault.get("tls_private_key"), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert csr.public_key() == key.public_key()
    assert made.password not in repr(made)


def test_provision_rsa(tmp_path: Path) -> None:
    made = provision("CP-RSA", tmp_path / "cp", key_type="rsa")
    key = load_pem_private_key(open_vault(made.directory).get("tls_private_key"), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048


def test_never_reprovisions_a_folder(tmp_path: Path) -> None:
    provision("CP-1", tmp_path / "cp")
    with pytest.raises(FileExistsError):
        provision("CP-1", tmp_path / "cp")


def test_a_thousand_chargers_have_a_thousand_distinct_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # uniqueness is the point here, not disks
    # ... nor the setup code's hashing cost: argon2 at its lowest cost, not OWASP's 19 MiB x 2
    # (nine tenths of this test's time; owner_api/test_auth_and_history.py signs in with one).
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(setup_code, "_hasher", lambda: cheap)
    passwords: set[str] = set()
    setup_codes: set[str] = set()
    device_keys: set[bytes] = set()
    tls_keys: set[bytes] = set()
    for i in range(1000):
        # the same identity each time: nothing is derived from it
        made = provision("CP-SAME" if i % 2 else f"CP-{i:04d}", tmp_path / str(i))
        passwords.add(made.password)
        setup_codes.add(made.setup_code)
        device_keys.add((made.directory / "device.key").read_bytes())
        public = x509.load_pem_x509_csr(made.csr_pem).public_key()
        tls_keys.add(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    assert len(passwords) == len(device_keys) == len(setup_codes) == 1000
    assert len(tls_keys) == 1000


def test_passwords_have_enough_entropy() -> None:
    samples = [new_password() for _ in range(200)]
    assert len(set(samples)) == 200
    assert all(16 <= len(p) <= 40 and p.isascii() and p.isprintable() for p in samples)
    # every position uses the whole 64-character alphabet (log2(64) * 32 = 192 bits)
    assert len(set("".join(samples))) == 64


@pytest.mark.parametrize(
    "password, why",
    [
        ("short", "16 to 40"),
        ("x" * 41, "16 to 40"),
        ("change-me-to-a-random-32-char-pw", "default"),
        ("Change-Me-To-A-Random-32-Char-PW", "default"),
        ("aaaaaaaaaaaaaaaaaaaa", "repetitive"),
        ("garage-1-Zq8v3NpL0xWk7Rt", "identity"),
        ("tab\tin-the-middle-0123456", "printable"),
    ],
)
def test_bad_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(CredentialError, match=why) as info:
        check_password(password, ["garage-1"])
    assert password not in str(info.value)


def vault(tmp_path: Path, key: bytes = b"\x01" * 32) -> CredentialVault:
    return CredentialVault(tmp_path / "vault", key, public_values=["CP-001", "SN-99887766"])


def test_vault_round_trip_and_refuses_shared_values(tmp_path: Path) -> None:
    v = vault(tmp_path)
    v.put("basic_auth_password", b"Zq8v3NpL0xWk7Rt-4hYd")
    assert v.get("basic_auth_password") == b"Zq8v3NpL0xWk7Rt-4hYd"
    for bad in (b"CP-001", b"SN-99887766", b"change-me-to-a-random-32-char-pw", b""):
        for name in ("basic_auth_password", "csms_token"):
            with pytest.raises(CredentialError):
                v.put(name, bad)
    for default in sorted(KNOWN_DEFAULTS):
        with pytest.raises(CredentialError):
            v.put("other", default.encode())
    # the refused values changed nothing
    assert v.get("basic_auth_password") == b"Zq8v3NpL0xWk7Rt-4hYd"
    assert v.names() == ["basic_auth_password"]
    with pytest.raises(KeyError):
        v.get("missing")
    with pytest.raises(ValueError, match="bad credential name"):
        v.put("../escape", b"Zq8v3NpL0xWk7Rt-4hYd")


def test_vault_detects_tampering(tmp_path: Path) -> None:
    v = vault(tmp_path)
    v.put("basic_auth_password", b"Zq8v3NpL0xWk7Rt-4hYd")
    v.put("tls_private_key", b"-----BEGIN PRIVATE KEY----- test")
    path = tmp_path / "vault" / "basic_auth_password.cred"
    assert mode(path) == 0o600
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(VaultTampered):
        v.get("basic_auth_password")
    # a file copied over another name fails too (the name is authenticated)
    (tmp_path / "vault" / "tls_private_key.cred").replace(path)
    with pytest.raises(VaultTampered):
        v.get("basic_auth_password")


def test_vault_files_open_only_with_their_device_key(tmp_path: Path) -> None:
    vault(tmp_path).put("basic_auth_password", b"Zq8v3NpL0xWk7Rt-4hYd")
    with pytest.raises(VaultTampered):
        vault(tmp_path, b"\x02" * 32).get("basic_auth_password")
