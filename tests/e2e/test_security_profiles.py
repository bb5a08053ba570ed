"""Security profiles 1, 2 and 3 over real loopback TLS, against the `ocpp` package's central
system (tests/support/csms_peer.py) with test CAs from trustme: what connects, what is refused and
logged, upgrades, the refused downgrade, the fallback, and the AuthorizationKey."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import trustme
from csms_peer import CentralSystemPeer
from http_fixtures import http_server, upload_route
from ocpp.v16 import call
from tls_fixtures import BlockingTlsServer, provisioned, server_context, sign_csr, write_root

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import parse_config
from smartcharge.chargepoint.security.provisioning import open_vault

Start = Callable[..., Awaitable[ChargePointApp]]


@pytest.fixture
async def peers() -> AsyncIterator[Callable[..., Awaitable[CentralSystemPeer]]]:
    started: list[CentralSystemPeer] = []

    async def make(**kw: Any) -> CentralSystemPeer:
        p = CentralSystemPeer(**kw)
        await p.start()
        started.append(p)
        return p

    yield make
    for p in started:
        await p.stop()
    for p in started:
        assert p.errors == []  # every message we sent was valid for the ocpp package


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    tasks: list[asyncio.Task[None]] = []

    async def run(identity: str, security: dict[str, Any], csms_url: str) -> ChargePointApp:
        data = {
            "identity": identity,
            "csms_url": csms_url,
            "data_dir": str(tmp_path / identity / "data"),
            "security": security,
            "simulator": {"speed": 20.0, "start_time": "2026-06-01T10:00:00+00:00"},
            "ocpp": {"reconnect_min_s": 0.5, "reconnect_max_s": 2, "call_timeout": 5},
            "charging": {"random_delay_max_s": 0},
        }
        app = ChargePointApp(parse_config(data, base_dir=tmp_path), rng=random.Random(3))
        tasks.append(asyncio.ensure_future(app.run()))
        await asyncio.wait_for(app.started.wait(), 10)
        return app

    yield run
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def events(app: ChargePointApp) -> list[str]:
    assert app.security is not None
    return [e.event for e in app.security.log.entries()]


def credentials(tmp_path: Path, identity: str) -> tuple[Path, str]:
    made = provisioned(tmp_path / f"{identity}-factory", identity)
    return made.directory, made.password


async def at_profile_1(
    tmp_path: Path, peers: Any, start: Start, identity: str
) -> tuple[CentralSystemPeer, ChargePointApp, Path, str]:
    """A provisioned charger booted at profile 1 on a central system that knows its password."""
    folder, password = credentials(tmp_path, identity)
    peer = await peers(passwords={identity: password})
    app = await start(identity, {"profile": 1, "credentials_dir": str(folder)}, peer.url)
    await peer.wait_for(lambda: peer.of("BootNotification"))
    return peer, app, folder, password


async def test_profile_1_basic_auth_and_a_wrong_password_is_refused_and_logged(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    peer, *_ = await at_profile_1(tmp_path, peers, start, "P1")
    folder2, _ = credentials(tmp_path, "P1B")
    peer.passwords = {"P1B": "Some-other-password-77"}  # the CSMS does not know its password
    app = await start("P1B", {"profile": 1, "credentials_dir": str(folder2)}, peer.url)
    await peer.wait_for(lambda: len([r for r in peer.refused if r[0] == "P1B"]) >= 2)
    assert "P1B" not in peer.connected
    assert events(app).count("FailedToAuthenticateAtCentralSystem") == 1  # once, not per retry


async def at_profile_2(
    tmp_path: Path,
    peers: Any,
    start: Start,
    identity: str,
    server: trustme.CA,
    trusted: trustme.CA,
    **extra: Any,
) -> tuple[CentralSystemPeer, ChargePointApp]:
    """A provisioned charger at profile 2 trusting `trusted`, and a central system whose
    certificate comes from `server`; `extra` adds `[security]` keys."""
    folder, password = credentials(tmp_path, identity)
    peer = await peers(ssl=server_context(server), passwords={identity: password})
    security = {
        "profile": 2,
        "credentials_dir": str(folder),
        "ca_file": str(write_root(trusted, tmp_path / f"{identity}-root.pem")),
        **extra,
    }
    return peer, await start(identity, security, peer.url)


async def test_profile_2_tls_with_basic_auth_and_notifications_after_boot(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    ca = trustme.CA()
    peer, _ = await at_profile_2(tmp_path, peers, start, "P2", ca, ca)
    await peer.wait_for(lambda: peer.of("SecurityEventNotification"))
    actions = [r.action for r in peer.received]
    # SecurityEventNotification only after the boot was accepted.
    assert actions.index("BootNotification") < actions.index("SecurityEventNotification")
    assert peer.of("SecurityEventNotification")[0].payload["type"] == "StartupOfTheDevice"
    ids = await peer.call(
        "P2", call.GetInstalledCertificateIds(certificate_type="CentralSystemRootCertificate")
    )
    assert ids.status == "Accepted" and len(ids.certificate_hash_data) == 1


async def test_at_profile_2_logs_go_over_https_verified_against_the_transfer_ca(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    ca, files_ca = trustme.CA(), trustme.CA()
    root = write_root(files_ca, tmp_path / "files-root.pem")
    peer, _ = await at_profile_2(tmp_path, peers, start, "P2UP", ca, ca, transfer_ca_file=str(root))
    await peer.wait_for(lambda: peer.of("BootNotification"))
    got: list[tuple[str, bytes]] = []
    runner, port = await http_server([upload_route("/logs", got)], server_context(files_ca))
    try:
        # Plain http: refused at profile 2 (logs in the clear beside a TLS link would undo it).
        plain = {"remote_location": f"http://127.0.0.1:{port}/logs"}
        res = await peer.call("P2UP", call.GetLog(log_type="SecurityLog", request_id=1, log=plain))
        assert res.status == "Rejected"
        diag = await peer.call("P2UP", call.GetDiagnostics(location=plain["remote_location"]))
        assert diag.file_name is None
        # https:// with a certificate from the configured CA: uploaded.
        secure = {"remote_location": f"https://localhost:{port}/logs"}
        res = await peer.call("P2UP", call.GetLog(log_type="SecurityLog", request_id=2, log=secure))
        assert res.status == "Accepted"
        await peer.wait_for(
            lambda: (
                [r.payload["status"] for r in peer.of("LogStatusNotification")][-1:] == ["Uploaded"]
            )
        )
        diag = await peer.call("P2UP", call.GetDiagnostics(location=secure["remote_location"]))
        assert diag.file_name is not None
        await peer.wait_for(lambda: len(got) == 2)
        assert [name for name, _ in got] == [res.filename, diag.file_name]
    finally:
        await runner.cleanup()


async def logged(caplog: pytest.LogCaptureFixture, text: str, times: int = 1) -> None:
    """Until the charger has logged `text` `times` times (a generous guard for a failure)."""
    async with asyncio.timeout(20):
        while sum(text in r.getMessage() for r in caplog.records) < times:
            await asyncio.sleep(0.02)


async def test_profile_3_mutual_tls(
    tmp_path: Path, peers: Any, start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="smartcharge")
    ca = trustme.CA()
    made = provisioned(tmp_path / "factory", "P3")
    chain = tmp_path / "P3-chain.pem"
    chain.write_bytes(sign_csr(ca, made.csr_pem))
    peer = await peers(ssl=server_context(ca, mutual=True))
    security = {
        "profile": 3,
        "credentials_dir": str(made.directory),
        "ca_file": str(write_root(ca, tmp_path / "root.pem")),
        "cert_file": str(chain),
    }
    await start("P3", security, peer.url)
    cp = await peer.wait_connected("P3")
    await peer.wait_for(lambda: peer.of("BootNotification"))
    peer_cert = cp._connection.transport.get_extra_info("peercert")
    assert dict(x[0] for x in peer_cert["subject"])["commonName"] == "P3"
    await logged(caplog, "no renewal")  # the check ran after the boot was accepted
    assert peer.of("SignCertificate") == []  # 20 years left: no renewal


async def test_a_csms_certificate_from_another_ca_is_refused_and_logged(
    tmp_path: Path, peers: Any, start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="smartcharge")
    peer, app = await at_profile_2(tmp_path, peers, start, "WRONG", trustme.CA(), trustme.CA())
    await peer.wait_for(lambda: "InvalidCentralSystemCertificate" in events(app))
    await logged(caplog, "connect failed", times=4)  # several more attempts
    assert peer.received == [] and "WRONG" not in peer.connected
    assert events(app).count("InvalidCentralSystemCertificate") == 1
    assert app.link is not None and not app.link.ready


async def plain_and_tls(
    tmp_path: Path, peers: Any, start: Start, identity: str, tls_ca: trustme.CA, **security: Any
) -> tuple[CentralSystemPeer, CentralSystemPeer, ChargePointApp]:
    """A charger at profile 1 on `plain`, with `tls` (a certificate from `tls_ca`) as its
    tls_csms_url for an upgrade; both central systems know its password."""
    folder, password = credentials(tmp_path, identity)
    plain = await peers(passwords={identity: password})
    tls = await peers(ssl=server_context(tls_ca), passwords={identity: password})
    security = {"profile": 1, "credentials_dir": str(folder), "tls_csms_url": tls.url, **security}
    app = await start(identity, security, plain.url)
    await plain.wait_for(lambda: plain.of("BootNotification"))
    return plain, tls, app


async def test_upgrade_1_to_2_after_the_callresult_and_no_downgrade(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    ca = trustme.CA()
    plain, tls, app = await plain_and_tls(tmp_path, peers, start, "UP", ca)
    change = call.ChangeConfiguration
    # No CSMS root installed yet: profile 2 could not connect, so it is refused.
    assert (await plain.call("UP", change(key="SecurityProfile", value="2"))).status == "Rejected"
    assert (await plain.call("UP", change(key="SecurityProfile", value="0"))).status == "Rejected"
    res = await plain.call(
        "UP",
        call.InstallCertificate(
            certificate_type="CentralSystemRootCertificate",
            certificate=ca.cert_pem.bytes().decode(),
        ),
    )
    assert res.status == "Accepted"
    assert (await plain.call("UP", change(key="SecurityProfile", value="2"))).status == "Accepted"
    await tls.wait_connected("UP")
    await tls.wait_for(lambda: tls.of("StatusNotification"))
    assert "UP" not in plain.connected
    for lower in ("1", "0"):
        assert (await tls.call("UP", change(key="SecurityProfile", value=lower))).status == (
            "Rejected"
        )
    got = await tls.call("UP", call.GetConfiguration(key=["SecurityProfile"]))
    assert got.configuration_key[0]["value"] == "2"
    assert "ReconfigurationOfSecurityParameters" in events(app)


async def test_an_upgrade_that_cannot_connect_falls_back_and_says_so(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    ours, theirs = trustme.CA(), trustme.CA()
    root = str(write_root(ours, tmp_path / "root.pem"))
    plain, impostor, app = await plain_and_tls(tmp_path, peers, start, "FB", theirs, ca_file=root)
    change = call.ChangeConfiguration(key="SecurityProfile", value="2")
    assert (await plain.call("FB", change)).status == "Accepted"
    await plain.wait_for(
        lambda: "SecurityProfileFallback" in plain.security_events(),
        timeout=30,
    )
    got = await plain.call("FB", call.GetConfiguration(key=["SecurityProfile"]))
    assert got.configuration_key[0]["value"] == "1"
    assert impostor.received == []
    assert "InvalidCentralSystemCertificate" in events(app)


async def test_authorization_key_is_sealed_write_only_and_used_on_reconnect(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    peer, _, folder, _ = await at_profile_1(tmp_path, peers, start, "KEY")
    first = peer.connected["KEY"]
    new_key = "Rotated-by-the-CSMS-0815-xyz"
    peer.passwords = {"KEY": new_key}
    res = await peer.call("KEY", call.ChangeConfiguration(key="AuthorizationKey", value=new_key))
    assert res.status == "Accepted"
    await peer.wait_for(lambda: peer.connected.get("KEY") not in (None, first))
    got = await peer.call("KEY", call.GetConfiguration(key=["AuthorizationKey"]))
    assert got.configuration_key == [{"key": "AuthorizationKey", "readonly": False}]
    assert open_vault(folder).get("basic_auth_password").decode() == new_key
    data = tmp_path / "KEY" / "data"
    for path in data.rglob("*"):
        if path.is_file():
            assert new_key.encode() not in path.read_bytes(), path
    weak = await peer.call(
        "KEY", call.ChangeConfiguration(key="AuthorizationKey", value="aaaaaaaaaaaaaaaa")
    )
    assert weak.status == "Rejected"


async def test_a_key_the_csms_cannot_check_falls_back_to_the_previous_one(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    peer, app, folder, password = await at_profile_1(tmp_path, peers, start, "KFB")
    res = await peer.call(
        "KFB", call.ChangeConfiguration(key="AuthorizationKey", value="Never-registered-key-42")
    )
    assert res.status == "Accepted"  # but the CSMS still expects the old password
    await peer.wait_for(lambda: "SecurityProfileFallback" in events(app), timeout=30)
    assert open_vault(folder).get("basic_auth_password").decode() == password
    await peer.wait_for(lambda: "SecurityProfileFallback" in peer.security_events())


@pytest.mark.parametrize(
    ("event", "newest", "ciphers"),
    [
        # A server that speaks TLS 1.1 at most (OpenSSL needs security level 0 to allow it).
        ("InvalidTLSVersion", "TLSv1_1", "DEFAULT:@SECLEVEL=0"),
        # TLS 1.2 with only a suite outside the whitepaper's list (no forward secrecy).
        ("InvalidTLSCipherSuite", "TLSv1_2", "AES128-GCM-SHA256"),
    ],
)
async def test_old_tls_versions_and_weak_cipher_suites_are_refused_and_logged(
    tmp_path: Path, start: Start, event: str, newest: str, ciphers: str
) -> None:
    ca = trustme.CA()
    context = server_context(ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is the point here
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = getattr(ssl.TLSVersion, newest)
    context.set_ciphers(ciphers)
    server = BlockingTlsServer(context)
    try:
        folder, _ = credentials(tmp_path, "OLD")
        security = {
            "profile": 2,
            "credentials_dir": str(folder),
            "ca_file": str(write_root(ca, tmp_path / "root.pem")),
        }
        app = await start("OLD", security, f"wss://localhost:{server.port}/ocpp")
        async with asyncio.timeout(20):
            while event not in events(app):
                await asyncio.sleep(0.05)
        assert server.handshakes_failed >= 1
        assert app.link is not None and not app.link.ready
    finally:
        server.close()


async def test_profile_2_to_3_with_a_certificate_signed_through_ocpp(
    tmp_path: Path, peers: Any, start: Start
) -> None:
    ca = trustme.CA()
    server = server_context(ca)
    server.verify_mode = ssl.CERT_OPTIONAL  # profile 2 without, profile 3 with a certificate
    ca.configure_trust(server)
    folder, _ = credentials(tmp_path, "UP3")
    peer = await peers(ssl=server)
    security = {
        "profile": 2,
        "credentials_dir": str(folder),
        "ca_file": str(write_root(ca, tmp_path / "root.pem")),
    }
    app = await start("UP3", security, peer.url)
    first = await peer.wait_connected("UP3")
    change = call.ChangeConfiguration(key="SecurityProfile", value="3")
    # The factory key has no certificate yet: profile 3 could not connect, so it is refused.
    assert (await peer.call("UP3", change)).status == "Rejected"
    trigger = call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")
    assert (await peer.call("UP3", trigger)).status == "Accepted"
    await peer.wait_for(lambda: peer.of("SignCertificate"))
    csr = peer.of("SignCertificate")[0].payload["csr"].encode()
    signed = call.CertificateSigned(certificate_chain=sign_csr(ca, csr).decode())
    assert (await peer.call("UP3", signed)).status == "Accepted"
    assert (await peer.call("UP3", change)).status == "Accepted"
    await peer.wait_for(lambda: peer.connected.get("UP3") not in (None, first))
    cert = peer.connected["UP3"]._connection.transport.get_extra_info("peercert")
    assert dict(x[0] for x in cert["subject"])["commonName"] == "UP3"
    assert "Authorization" not in peer.connected["UP3"]._connection.request.headers
    assert app.security is not None and app.security.connection.profile == 3
