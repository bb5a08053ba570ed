"""The security whitepaper's management messages, end to end against the `ocpp` package's central
system: certificates (install, list, delete, the charger's own via SignCertificate and
CertificateSigned), ExtendedTriggerMessage, GetLog uploads, and tamper (R36)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import trustme
from cp_harness import MakeCP, Running
from csms_peer import CentralSystemPeer
from http_fixtures import http_server, upload_route
from ocpp.v16 import call
from tls_fixtures import provisioned, server_context, sign_csr, write_root

from smartcharge.chargepoint.security.provisioning import open_vault
from smartcharge.chargepoint.security.security_log import verify_chain

ROOT = "CentralSystemRootCertificate"


async def booted(make_cp: MakeCP, **kw: Any) -> Running:
    cp = await make_cp(**kw)
    await cp.until(lambda: bool(cp.peer.of("BootNotification")))
    await cp.until_status(1, "Available")
    return cp


def log_events(cp: Running) -> list[str]:
    assert cp.app.security is not None
    return [e.event for e in cp.app.security.log.entries()]


async def test_install_list_and_delete_root_certificates(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    ca = trustme.CA()
    pem = ca.cert_pem.bytes().decode()
    assert (await cp.call(call.GetInstalledCertificateIds(certificate_type=ROOT))).status == (
        "NotFound"
    )
    res = await cp.call(call.InstallCertificate(certificate_type=ROOT, certificate=pem))
    assert res.status == "Accepted"
    ids = await cp.call(call.GetInstalledCertificateIds(certificate_type=ROOT))
    assert ids.status == "Accepted" and len(ids.certificate_hash_data) == 1
    other = await cp.call(
        call.GetInstalledCertificateIds(certificate_type="ManufacturerRootCertificate")
    )
    assert other.status == "NotFound"
    # Not a CA, or not a certificate at all: Rejected, and nothing is installed.
    leaf = ca.issue_cert("example.org").cert_chain_pems[0].bytes().decode()
    for bad in (leaf, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "x"):
        res = await cp.call(call.InstallCertificate(certificate_type=ROOT, certificate=bad))
        assert res.status == "Rejected"
    ids = await cp.call(call.GetInstalledCertificateIds(certificate_type=ROOT))
    assert len(ids.certificate_hash_data) == 1
    hash_data = ids.certificate_hash_data[0]
    wrong = {**hash_data, "serial_number": "abcdef"}
    assert (await cp.call(call.DeleteCertificate(certificate_hash_data=wrong))).status == (
        "NotFound"
    )
    res = await cp.call(call.DeleteCertificate(certificate_hash_data=hash_data))
    assert res.status == "Accepted"
    assert (await cp.call(call.GetInstalledCertificateIds(certificate_type=ROOT))).status == (
        "NotFound"
    )
    assert log_events(cp).count("ReconfigurationOfSecurityParameters") == 2


async def test_the_charger_makes_its_key_and_installs_the_signed_certificate(
    make_cp: MakeCP, tmp_path: Path
) -> None:
    made = provisioned(tmp_path / "factory", "SIGN1")
    cp = await booted(
        make_cp,
        identity="SIGN1",
        security={"profile": 0, "credentials_dir": str(made.directory)},
    )
    ca = trustme.CA()
    root = ca.cert_pem.bytes().decode()
    await cp.call(call.InstallCertificate(certificate_type=ROOT, certificate=root))
    await cp.call(call.ChangeConfiguration(key="CpoName", value="Acme Charging"))
    res = await cp.call(call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate"))
    assert res.status == "Accepted"
    await cp.peer.wait_for(lambda: cp.peer.of("SignCertificate"))
    csr = cp.peer.of("SignCertificate")[0].payload["csr"].encode()
    assert b"PRIVATE" not in csr
    vault = open_vault(made.directory)
    assert "tls_private_key_pending" in vault.names()

    # A certificate for another name, or for another key, is refused and logged.
    wrong_name = sign_csr(ca, csr, common_name="SOMEONE-ELSE").decode()
    res = await cp.call(call.CertificateSigned(certificate_chain=wrong_name))
    assert res.status == "Rejected"
    other_key = sign_csr(ca, made.csr_pem).decode()  # the factory key, not the new one
    res = await cp.call(call.CertificateSigned(certificate_chain=other_key))
    assert res.status == "Rejected"
    untrusted = sign_csr(trustme.CA(), csr).decode()
    res = await cp.call(call.CertificateSigned(certificate_chain=untrusted))
    assert res.status == "Rejected"
    assert log_events(cp).count("InvalidChargePointCertificate") == 3

    good = sign_csr(ca, csr).decode()
    res = await cp.call(call.CertificateSigned(certificate_chain=good))
    assert res.status == "Accepted"
    assert "tls_private_key_pending" not in vault.names()
    assert cp.app.security is not None
    assert cp.app.security.certificates.chargepoint_chain() == good.encode()


async def test_sign_certificate_needs_a_vault_and_other_triggers_answer(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    res = await cp.call(call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate"))
    assert res.status == "Rejected"  # no vault to keep a private key in
    res = await cp.call(call.ExtendedTriggerMessage(requested_message="Heartbeat"))
    assert res.status == "Accepted"
    await cp.peer.wait_for(lambda: cp.peer.of("Heartbeat"))
    res = await cp.call(
        call.ExtendedTriggerMessage(requested_message="StatusNotification", connector_id=9)
    )
    assert res.status == "Rejected"
    res = await cp.call(call.ExtendedTriggerMessage(requested_message="LogStatusNotification"))
    assert res.status == "Accepted"
    await cp.peer.wait_for(lambda: cp.peer.of("LogStatusNotification"))
    assert cp.peer.of("LogStatusNotification")[0].payload == {"status": "Idle"}
    res = await cp.call(call.ExtendedTriggerMessage(requested_message="FirmwareStatusNotification"))
    assert res.status == "Accepted"
    await cp.peer.wait_for(lambda: cp.peer.of("SignedFirmwareStatusNotification"))
    assert cp.peer.of("SignedFirmwareStatusNotification")[0].payload == {"status": "Idle"}


@pytest.fixture
async def upload_server() -> AsyncIterator[tuple[str, list[tuple[str, bytes]]]]:
    got: list[tuple[str, bytes]] = []
    runner, port = await http_server([upload_route("/logs", got)])
    yield f"http://127.0.0.1:{port}/logs", got
    await runner.cleanup()


async def test_get_log_uploads_the_security_log_and_reports_its_status(
    make_cp: MakeCP, upload_server: tuple[str, list[tuple[str, bytes]]]
) -> None:
    url, got = upload_server
    cp = await booted(make_cp)
    cp.hw.tamper_with("lid opened")
    await cp.peer.wait_for(lambda: "TamperDetectionActivated" in log_events(cp))
    res = await cp.call(
        call.GetLog(log_type="SecurityLog", request_id=7, log={"remote_location": url})
    )
    assert res.status == "Accepted" and res.filename.endswith(".jsonl.gz")
    await cp.peer.wait_for(
        lambda: (
            [r.payload["status"] for r in cp.peer.of("LogStatusNotification")]
            == ["Uploading", "Uploaded"]
        )
    )
    assert all(r.payload["request_id"] == 7 for r in cp.peer.of("LogStatusNotification"))
    name, body = got[0]
    assert name == res.filename
    lines = [orjson.loads(line) for line in gzip.decompress(body).splitlines()]
    header, entries = lines[0], lines[1:]
    assert header["hash"] == "sha256"  # no vault: anyone can recheck the chain
    assert [e["type"] for e in entries][:2] == ["StartupOfTheDevice", "TamperDetectionActivated"]
    rows = [
        (e["seq"], e["timestamp"], e["type"], e["techInfo"], e["notify"], e["prevHash"], e["hash"])
        for e in entries
    ]
    anchor = {"anchor_seq": header["anchorSeq"], "anchor_hash": header["anchorHash"]}
    head = {"head_seq": entries[-1]["seq"], "head_hash": entries[-1]["hash"]}
    checked = verify_chain(rows, **anchor, **head)
    assert checked.ok, checked.problem
    edited = [rows[0], (rows[1][0], rows[1][1], rows[1][2], "nothing", *rows[1][4:]), *rows[2:]]
    bad = verify_chain(edited, **anchor, **head)
    assert not bad.ok and bad.bad_seq == rows[1][0]

    res = await cp.call(
        call.GetLog(log_type="DiagnosticsLog", request_id=8, log={"remote_location": url})
    )
    assert res.status == "Accepted"
    await cp.peer.wait_for(lambda: len(got) == 2)
    assert got[1][0].endswith(".tar.gz")
    bad_location = await cp.call(
        call.GetLog(log_type="SecurityLog", request_id=9, log={"remote_location": "ftp://x/y"})
    )
    assert bad_location.status == "Rejected"


async def test_get_log_to_an_unreachable_server_reports_the_failure(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    res = await cp.call(
        call.GetLog(
            log_type="SecurityLog",
            request_id=3,
            retries=1,
            retry_interval=1,
            log={"remote_location": "http://127.0.0.1:9/nothing-listens-here"},
        )
    )
    assert res.status == "Accepted"
    await cp.peer.wait_for(
        lambda: (
            [r.payload["status"] for r in cp.peer.of("LogStatusNotification")][-1:]
            == ["UploadFailure"]
        )
    )


async def test_an_upload_server_from_another_ca_fails_and_is_logged(
    make_cp: MakeCP, tmp_path: Path
) -> None:
    trusted, other = trustme.CA(), trustme.CA()
    root = write_root(trusted, tmp_path / "files-root.pem")
    cp = await booted(make_cp, security={"profile": 0, "transfer_ca_file": str(root)})
    got: list[tuple[str, bytes]] = []
    runner, port = await http_server([upload_route("/logs", got)], server_context(other))
    try:
        url = f"https://localhost:{port}/logs"
        res = await cp.call(
            call.GetLog(
                log_type="SecurityLog",
                request_id=4,
                retries=3,
                retry_interval=1,
                log={"remote_location": url},
            )
        )
        assert res.status == "Accepted"
        await cp.peer.wait_for(
            lambda: (
                [r.payload["status"] for r in cp.peer.of("LogStatusNotification")]
                == ["Uploading", "UploadFailure"]
            )
        )
        diag = await cp.call(call.GetDiagnostics(location=url, retries=2, retry_interval=1))
        assert diag.file_name is not None
        await cp.peer.wait_for(
            lambda: (
                [r.payload["status"] for r in cp.peer.of("DiagnosticsStatusNotification")][-1:]
                == ["UploadFailed"]
            )
        )
        assert got == []
        assert cp.app.security is not None
        refused = [
            e.tech_info
            for e in cp.app.security.log.entries()
            if e.event == "InvalidFileServerCertificate"
        ]
        # Once per upload: a certificate that does not verify is not retried.
        assert len(refused) == 2
        assert refused[0].startswith(f"https://localhost:{port}/logs: ")
        assert "certificate verify failed" in refused[0]
    finally:
        await runner.cleanup()


def plug(cp: Running, n: int = 1) -> None:
    cp.hw.plug(n, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)


async def charging_then_tampered(cp: Running) -> Running:
    """A session on connector 1, then the lid forced open; returns once it was notified."""
    plug(cp)
    await cp.call(call.RemoteStartTransaction(id_tag="T1", connector_id=1))
    await cp.until_status(1, "Charging")
    cp.hw.tamper_with("lid forced open")
    await cp.until(lambda: "TamperDetectionActivated" in cp.peer.security_events())
    return cp


async def test_tamper_stops_charging_notifies_at_once_and_waits_to_be_cleared(
    make_cp: MakeCP, peer: CentralSystemPeer
) -> None:
    cp = await charging_then_tampered(await booted(make_cp, manual=True))
    await cp.until(lambda: bool(peer.of("StopTransaction")))
    assert peer.of("StopTransaction")[0].payload["reason"] == "Other"
    await cp.until_status(1, "Unavailable")
    assert cp.hw.snapshot()["connectors"]["1"]["power_w"] == 0
    await cp.call(call.TriggerMessage(requested_message="StatusNotification", connector_id=0))
    await cp.until(lambda: peer.status.get((cp.identity, 0)) == "Unavailable")
    # No new session while the alarm stands, not even from the central system.
    res = await cp.call(call.RemoteStartTransaction(id_tag="T2", connector_id=1))
    assert res.status == "Rejected"
    cp.hw.present_card("T3")
    await cp.advance(10)
    assert len(peer.of("StartTransaction")) == 1

    assert cp.app.clear_tamper("installer") is True
    assert cp.app.clear_tamper("installer") is False  # nothing left to clear
    await cp.until_status(1, "Finishing")  # the car is still plugged in from before
    await cp.until(lambda: "TamperCleared" in peer.security_events())
    cp.hw.unplug(1)
    plug(cp)
    cp.hw.present_card("T4")
    await cp.until_status(1, "Charging")


async def test_tamper_alarm_survives_a_reboot(make_cp: MakeCP, peer: CentralSystemPeer) -> None:
    cp = await booted(make_cp)
    cp.hw.tamper_with("lid opened")
    await cp.until_status(1, "Unavailable")
    await cp.call(call.Reset(type="Soft"))
    await peer.wait_for(lambda: len(peer.of("BootNotification")) == 2)
    # The outbox keeps order: once the second StartupOfTheDevice is in, everything before is.
    await peer.wait_for(lambda: peer.security_events().count("StartupOfTheDevice") == 2)
    assert cp.app.station is not None and cp.app.station.tampered
    await cp.until(lambda: cp.state(1)["status"] == "Unavailable")
    assert peer.security_events() == [
        "StartupOfTheDevice",
        "TamperDetectionActivated",
        "ResetOrReboot",
        "StartupOfTheDevice",
    ]


async def test_tamper_can_be_set_to_log_only(make_cp: MakeCP, peer: CentralSystemPeer) -> None:
    cp = await booted(make_cp, manual=True, security={"profile": 0, "tamper_stops_charging": False})
    await charging_then_tampered(cp)
    await cp.advance(10)
    assert cp.state(1)["status"] == "Charging"
    assert peer.of("StopTransaction") == []


async def test_a_certificate_near_its_end_is_renewed_after_boot(
    make_cp: MakeCP, tmp_path: Path
) -> None:
    made = provisioned(tmp_path / "factory", "RENEW1")
    chain = tmp_path / "chain.pem"
    # The simulated clock starts on 2026-06-01: this certificate ends on 2026-06-10.
    chain.write_bytes(
        sign_csr(trustme.CA(), made.csr_pem, not_before=datetime(2026, 5, 1, tzinfo=UTC), days=40)
    )
    security = {"profile": 0, "credentials_dir": str(made.directory), "cert_file": str(chain)}
    cp = await booted(make_cp, identity="RENEW1", security=security)
    await cp.peer.wait_for(lambda: cp.peer.of("SignCertificate"))
    assert "tls_private_key_pending" in open_vault(made.directory).names()


async def test_invalid_messages_from_the_central_system_are_logged(make_cp: MakeCP) -> None:
    cp = await booted(make_cp)
    connection = cp.peer.connected[cp.identity]._connection
    await connection.send("this is not OCPP-J")
    await connection.send('[2,"bad-1","ChangeConfiguration",{"key":"HeartbeatInterval"}]')
    await cp.peer.wait_for(lambda: log_events(cp).count("InvalidMessages") == 2)
    assert cp.app.security is not None
    infos = [e.tech_info for e in cp.app.security.log.entries() if e.event == "InvalidMessages"]
    assert "ProtocolError" in infos[1] and "value" in infos[1]
    # Still answering valid requests.
    res = await cp.call(call.GetConfiguration(key=["HeartbeatInterval"]))
    assert res.configuration_key[0]["value"] == "300"
