"""Certificate management (issue 14 item 1), each security whitepaper use case of the central
system against the `ocpp` package's ChargePoint: SignCertificate -> CertificateSigned with a
certificate of the platform's CA, bad CSRs refused and logged, InstallCertificate (checked
first), GetInstalledCertificateIds, DeleteCertificate, ExtendedTriggerMessage, renewal ahead of
expiry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import trustme
from api_harness import logged_in, set_password, user_client
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from ocpp.routing import on
from ocpp.v16 import call, call_result
from platform_harness import Peer, PeerChargePoint, Platform

from smartcharge.platform.services.certificates import CSR_REFUSED

OpenPeer = Callable[..., Awaitable[Peer]]
HASH_DATA = {
    "hash_algorithm": "SHA256",
    "issuer_name_hash": "aa" * 32,
    "issuer_key_hash": "bb" * 32,
    "serial_number": "1f",
}


class CertPeer(PeerChargePoint):
    """Answers the certificate messages and reports what it was sent."""

    def __init__(self, id: str, connection: Any) -> None:
        super().__init__(id, connection)
        self.got: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    @on("CertificateSigned")
    async def on_signed(self, certificate_chain: str, **_: Any) -> call_result.CertificateSigned:
        await self.got.put(("CertificateSigned", certificate_chain))
        return call_result.CertificateSigned(status="Accepted")

    @on("InstallCertificate")
    async def on_install(self, certificate_type: str, certificate: str, **_: Any) -> Any:
        await self.got.put(("InstallCertificate", (certificate_type, certificate)))
        return call_result.InstallCertificate(status="Accepted")

    @on("GetInstalledCertificateIds")
    async def on_ids(self, certificate_type: str, **_: Any) -> Any:
        await self.got.put(("GetInstalledCertificateIds", certificate_type))
        found = {k: v for k, v in HASH_DATA.items()}
        return call_result.GetInstalledCertificateIds(
            status="Accepted", certificate_hash_data=[found]
        )

    @on("DeleteCertificate")
    async def on_delete(self, certificate_hash_data: dict[str, str], **_: Any) -> Any:
        await self.got.put(("DeleteCertificate", certificate_hash_data))
        return call_result.DeleteCertificate(status="Accepted")

    @on("ExtendedTriggerMessage")
    async def on_trigger(self, requested_message: str, **_: Any) -> Any:
        await self.got.put(("ExtendedTriggerMessage", requested_message))
        return call_result.ExtendedTriggerMessage(status="Accepted")


async def received(peer: Peer) -> tuple[str, Any]:
    assert isinstance(peer.cp, CertPeer)
    return await asyncio.wait_for(peer.cp.got.get(), 15)


def csr_pem(
    cn: str, key: Any = None, algorithm: Any = None, organization: str | None = "Acme CPO"
) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if organization:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(names))
        .sign(key, algorithm or hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


async def test_a_good_csr_gets_a_certificate_of_the_platforms_ca(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1", cls=CertPeer)
    key = ec.generate_private_key(ec.SECP256R1())
    answer = await peer.call(call.SignCertificate(csr=csr_pem("CP-1", key)))
    assert answer.status == "Accepted"
    kind, chain_pem = await received(peer)
    assert kind == "CertificateSigned"
    leaf, ca = x509.load_pem_x509_certificates(chain_pem.encode())
    assert ca == platform.app.certificates.ca.cert
    leaf.verify_directly_issued_by(ca)
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP-1"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Acme CPO"
    assert leaf.public_key() == key.public_key()
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=366)

    async with user_client(platform, "op@example.org", "operator") as op:
        async with asyncio.timeout(10):  # the charger's answer is recorded once it came
            while not (rows := (await op.get("/api/chargers/CP-1/charger-certificates")).json())[0][
                "delivered"
            ]:
                await asyncio.sleep(0.02)
        assert rows[0]["serial"] == f"{leaf.serial_number:x}" and rows[0]["delivered"] == "Accepted"
        ca_out = (await op.get("/api/certificates/charger-ca")).json()
        assert x509.load_pem_x509_certificate(ca_out["pem"].encode()) == ca


@pytest.mark.parametrize(
    ("csr", "reason"),
    [
        (lambda: csr_pem("CP-2"), "common name is not the charger's identity"),
        (lambda: csr_pem("CP-1", rsa.generate_private_key(65537, 1024)), "RSA key of 1024 bits"),
        (lambda: csr_pem("CP-1", ec.generate_private_key(ec.SECP192R1())), "EC key of 192"),
        (lambda: csr_pem("CP-1", algorithm=hashes.SHA224()), "weak hash"),
        (lambda: _tampered(csr_pem("CP-1")), "signature is not valid"),
        (lambda: "not a CSR", "not a PEM certificate signing request"),
    ],
)
async def test_a_bad_csr_is_refused_logged_and_stored_as_a_security_event(
    platform: Platform,
    peers: OpenPeer,
    caplog: pytest.LogCaptureFixture,
    csr: Callable[[], str],
    reason: str,
) -> None:
    caplog.set_level(logging.WARNING)
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1", cls=CertPeer)
    assert (await peer.call(call.SignCertificate(csr=csr()))).status == "Rejected"
    charger_id = await platform.charger_id("CP-1")
    events = await platform.store.history.security_events(charger_id, limit=10)
    assert [(e["type"], reason in e["tech_info"]) for e in events] == [(CSR_REFUSED, True)]
    assert any(reason in r.getMessage() for r in caplog.records if "CSR refused" in r.getMessage())
    assert await platform.store.certificates.of_charger(charger_id) == []
    # Nothing was sent: a good CSR now gets the first message the peer sees.
    assert (await peer.call(call.SignCertificate(csr=csr_pem("CP-1")))).status == "Accepted"
    assert (await received(peer))[0] == "CertificateSigned"


def _tampered(pem: str) -> str:
    csr = x509.load_pem_x509_csr(pem.encode())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # inside the signature
    tampered = x509.load_der_x509_csr(bytes(der))
    return tampered.public_bytes(serialization.Encoding.PEM).decode()


async def test_install_list_delete_and_trigger_through_the_api(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1", owner="owner@example.org")
    peer = await peers(platform, "CP-1", cls=CertPeer)
    root = trustme.CA().cert_pem.bytes().decode()
    leaf = trustme.CA().issue_cert("cs.example").cert_chain_pems[0].bytes().decode()
    async with user_client(platform, "op@example.org", "operator") as op:
        body = {"certificate_type": "CentralSystemRootCertificate", "certificate": root}
        r = await op.post("/api/chargers/CP-1/certificates", json=body)
        assert r.status_code == 200 and r.json() == {"status": "Accepted"}
        assert await received(peer) == (
            "InstallCertificate",
            ("CentralSystemRootCertificate", root),
        )
        for bad, words in ((leaf, "not a CA"), ("garbage", "not a PEM"), (root + root, "one")):
            r = await op.post("/api/chargers/CP-1/certificates", json={**body, "certificate": bad})
            assert r.status_code == 422 and words in r.json()["detail"], r.text

        r = await op.get("/api/chargers/CP-1/certificates")
        assert r.status_code == 200 and r.json()["certificateHashData"][0]["serialNumber"] == "1f"
        assert await received(peer) == (
            "GetInstalledCertificateIds",
            "CentralSystemRootCertificate",
        )
        r = await op.post("/api/chargers/CP-1/certificates/delete", json=HASH_DATA)
        assert r.status_code == 200 and r.json() == {"status": "Accepted"}
        kind, sent = await received(peer)
        assert kind == "DeleteCertificate" and sent["serial_number"] == "1f"
        r = await op.post(
            "/api/chargers/CP-1/trigger", json={"requested_message": "SignChargePointCertificate"}
        )
        assert r.status_code == 200 and r.json() == {"status": "Accepted"}
        assert await received(peer) == ("ExtendedTriggerMessage", "SignChargePointCertificate")
        r = await op.post("/api/chargers/CP-1/trigger", json={"requested_message": "Reboot"})
        assert r.status_code == 422 and "SignChargePointCertificate" in r.json()["detail"]

    password = await set_password(platform, "owner@example.org")
    async with logged_in(platform, "owner@example.org", password) as owner:
        # The owner may ask, not install or delete.
        r = await owner.post("/api/chargers/CP-1/certificates", json=body)
        assert r.status_code == 403
        r = await owner.post("/api/chargers/CP-1/certificates/delete", json=HASH_DATA)
        assert r.status_code == 403
    assert peer.cp.got.empty()  # type: ignore[attr-defined]


async def test_renewal_is_asked_for_ahead_of_expiry_once_a_day(
    make_platform: Callable[..., Awaitable[Platform]], peers: OpenPeer
) -> None:
    # Certificates of 10 days, renewed from 30 days before their end: due at once.
    platform = await make_platform(charger_cert_days=10, charger_cert_renew_days=30)
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1", cls=CertPeer)
    await peer.call(call.SignCertificate(csr=csr_pem("CP-1")))
    assert (await received(peer))[0] == "CertificateSigned"
    service = platform.app.certificates
    assert await service.renew_due() == ["CP-1"]
    assert await received(peer) == ("ExtendedTriggerMessage", "SignChargePointCertificate")
    assert await service.renew_due() == []  # asked today already
    # Its new certificate ends later: nothing is due for it any more... until it is.
    await peer.call(call.SignCertificate(csr=csr_pem("CP-1")))
    assert (await received(peer))[0] == "CertificateSigned"
    rows = await platform.store.certificates.of_charger(await platform.charger_id("CP-1"))
    assert len(rows) == 2 and rows[0]["renewal_requested_at"] is None
    due = await platform.store.certificates.expiring(
        datetime.now(UTC) + timedelta(days=5), asked_before=datetime.now(UTC)
    )
    assert due == []  # the newest ends in 10 days
