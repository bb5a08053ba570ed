"""Security (Schedule 1): R28, R29, R32, R33, R37, R38, and the input rules R8, R34.

Each check runs against what the charger does over OCPP (and, for the simulated target, what it
keeps on disk). Where the charger lacks a capability the check fails or cannot run, with why:
never a pass.
"""

from __future__ import annotations

import asyncio
import ssl
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from smartcharge.chargepoint.firmware import make_image
from smartcharge.chargepoint.security.provisioning import CredentialError, check_password
from smartcharge.compliance.csms import CentralSystem, now_iso
from smartcharge.compliance.owner_client import (
    OwnerApiError,
    cert_sha256,
    probe_plain_http,
    probe_tls,
)
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    call_status,
    charger_now,
    connector,
    flat_profile,
    get_config,
    set_profile,
    start_session,
    uk,
    wait_limit,
)
from smartcharge.compliance.target import Charger, ChargerSpec, TargetError
from smartcharge.compliance.tls import make_ca, server_context
from smartcharge.manufacturer import keys, signing

INSTALL_WAIT_S = 12.0


# --- R8, R34: what the owner, a user or the central system sends ------------------------------


async def _inputs(ctx: Context) -> None:
    r8, r34 = ctx.rec("R8"), ctx.rec("R34")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    await start_session(ch, 1)
    await wait_limit(ch, 1, 32.0)
    status = await set_profile(ch, 1, flat_profile(41, 100.0))
    await asyncio.sleep(ch.real_seconds(5))
    c = await connector(ch, 1)
    offered = float(c["offered_current_a"])
    r8.check(
        "a setpoint above the hardware limit (100 A on 32 A) is clamped or rejected",
        offered <= float(c.get("max_current_a") or 32.0),
        f"SetChargingProfile 100 A: {status}; offered {offered:g} A",
    )
    await call_status(ch, "ClearChargingProfile", {"id": 41})
    status = await set_profile(ch, 1, flat_profile(42, -8.0))
    await asyncio.sleep(ch.real_seconds(5))
    offered = float((await connector(ch, 1))["offered_current_a"])
    r8.check(
        "a negative setpoint is rejected",
        status != "Accepted" and offered == 32.0,
        f"SetChargingProfile -8 A: {status}; offered {offered:g} A",
    )
    status = await call_status(
        ch, "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "8"}
    )
    r8.check("a fixed hardware setting cannot be changed", status == "Rejected", status)
    r8.done()

    # R34: each bad input is refused as a whole and changes nothing.
    _, before = await uk(ch, "GetDefaultHours", {})
    bad_hours = {"mode": "custom", "windows": [{"weekday": 1, "start": "25:00", "end": "06:00"}]}
    status, answer = await uk(ch, "SetDefaultHours", {**bad_hours, "by": "owner"})
    _, after = await uk(ch, "GetDefaultHours", {})
    r34.check(
        "default hours with a bad time: rejected, nothing changed",
        status == "Rejected" and before.get("defaultHours") == after.get("defaultHours"),
        f"{status} {answer}",
    )
    res = await ch.call(
        "DataTransfer",
        {"vendorId": "org.smartcharge.uk", "messageId": "ChargeNow", "data": "{not json"},
    )
    r34.check(
        "a DataTransfer whose data is not JSON: rejected", res["status"] == "Rejected", str(res)
    )
    status, answer = await uk(
        ch,
        "DsrEvent",
        {"id": "x", "kind": "response", "limitA": -5, "start": now_iso(), "durationS": 60},
    )
    r34.check(
        "a DSR event with a negative limit: rejected", status == "Rejected", f"{status} {answer}"
    )
    for key, value in (
        ("HeartbeatInterval", "abc"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,Bogus.Measurand"),
    ):
        old = await get_config(ch, key)
        status = await call_status(ch, "ChangeConfiguration", {"key": key, "value": value})
        new = await get_config(ch, key)
        r34.check(
            f"{key}={value!r}: rejected, value unchanged",
            status == "Rejected" and old == new,
            f"{status}; {old!r} -> {new!r}",
        )
    status = await set_profile(ch, 1, flat_profile(43, 10.0, stack=99))
    r34.check("a charging profile with stack level 99: rejected", status != "Accepted", status)
    r34.done()


# --- R28, R32, R37, R38 (and the tamper evidence for R36) ----------------------------------------


async def _credentials(ctx: Context) -> None:
    r28, r32, r37, r38 = (ctx.rec(r) for r in ("R28", "R32", "R37", "R38"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=1))
    boot = ch.csms.received(ch.identity, "BootNotification")[-1].payload
    serial = str(boot.get("chargePointSerialNumber") or "")
    _password_check(r28, ch, serial, "at first connection")
    status = await call_status(ch, "Reset", {"type": "Hard"})
    boots = len(ch.csms.received(ch.identity, "BootNotification"))
    await ch.csms.wait_booted(ch.identity, 30, after=boots)
    await ch.csms.wait_connected(ch.identity, 10)
    _password_check(r28, ch, serial, f"after a hard reset ({status})")
    r28.done()

    listed = await ch.call("GetConfiguration", {"key": ["AuthorizationKey"]})
    leaked = [k for k in listed.get("configurationKey") or [] if k.get("value")]
    r32.check(
        "the AuthorizationKey cannot be read back",
        not leaked,
        "listed without a value" if not leaked else "its value was returned",
    )
    if ch.data_dir is not None:
        loose = [
            str(p.relative_to(ch.data_dir))
            for p in ch.data_dir.rglob("*")
            if p.is_file() and p.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
        ]
        r32.check(
            "the charger's data files (store, logs) are readable by it alone",
            not loose,
            f"readable by others: {sorted(loose)[:5]}" if loose else "all files 0600",
        )
        folders = [f for f in (ch.data_dir, ch.credentials_dir) if f is not None]
        vault = [p for f in folders for p in f.rglob("*.cred")]
        loose_vault = [p.name for p in vault if p.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)]
        r32.check(
            "the password is kept sealed (credential vault, files 0600), not in plain text",
            bool(vault) and not loose_vault,
            f"{len(vault)} sealed credentials"
            + (f"; readable by others: {loose_vault}" if loose_vault else "")
            if vault
            else "no sealed credentials: the charger runs with its password in plain text",
        )
    else:
        r32.cannot("credentials at rest", "the charger's storage is not reachable")
    r32.done()

    assert ch.sim is not None
    before = len(ch.csms.received(ch.identity, "SecurityEventNotification"))
    await ch.sim.tamper("enclosure opened by the compliance suite")
    got = await ch.csms.wait_for(
        lambda: any(
            m.payload.get("type") == "TamperDetectionActivated"
            for m in ch.csms.received(ch.identity, "SecurityEventNotification")[before:]
        ),
        10,
    )
    r37.check(
        "an opened enclosure is logged and notified (SecurityEventNotification)",
        got,
        "TamperDetectionActivated received" if got else "no SecurityEventNotification in 10 s",
    )
    status = await call_status(
        ch,
        "GetLog",
        {
            "logType": "SecurityLog",
            "requestId": 1,
            "log": {"remoteLocation": "http://127.0.0.1:9/"},
        },
    )
    r37.check("the security log can be exported (GetLog SecurityLog)", status == "Accepted", status)
    r37.done()

    r38.check(
        "model and software version are reported",
        bool(boot.get("chargePointModel")) and bool(boot.get("firmwareVersion")),
        f"model {boot.get('chargePointModel')!r}, software {boot.get('firmwareVersion')!r}",
    )
    r38.cannot(
        "support period and vulnerability-reporting contact visible to the owner",
        "OCPP carries neither; they belong on the owner's pages (owner API status, web app),"
        " which the suite does not read yet",
    )
    r38.done()


def _password_check(rec: Recorder, ch: Charger, serial: str, when: str) -> None:
    presented = (ch.csms.passwords.get(ch.identity) or [None])[-1]
    if presented is None:
        rec.check(f"a unique password is presented {when}", False, "no Basic auth password")
        return
    try:
        check_password(presented, [ch.identity, serial])
        rec.check(
            f"the password presented {when} is not a default nor derived from public values",
            True,
            f"{len(presented)} characters, {len(set(presented))} distinct",
        )
    except CredentialError as exc:
        rec.check(f"the password presented {when} is not a default", False, f"it {exc}")


# --- R29: firmware ------------------------------------------------------------------------------


async def _serve(files: dict[str, bytes]) -> tuple[web.AppRunner, str]:
    app = web.Application()

    async def get(request: web.Request) -> web.Response:
        data = files.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    app.router.add_get("/{name}", get)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _installed(ch: Charger, version: str, since: int) -> bool:
    boots = ch.csms.received(ch.identity, "BootNotification")[since:]
    return any(b.payload.get("firmwareVersion") == version for b in boots)


async def _firmware(ctx: Context) -> None:
    r29 = ctx.rec("R29")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20))
    model = str(ch.csms.received(ch.identity, "BootNotification")[-1].payload["chargePointModel"])
    rogue_key = keys.new_key("ecdsa")
    now = charger_now(ch)  # the certificates are valid on the charger's (simulated) clock
    root = keys.make_root(keys.new_key("ecdsa"), "Rogue", now)
    # A signer the charger's manufacturer never certified: root key is not the one used below,
    # so the chain does not verify either way.
    signer = keys.make_signing_cert(rogue_key, root, keys.new_key("ecdsa"), now)
    signed_image = make_image("99.1-rogue-signature", model)
    sig = signing.sign(signed_image, rogue_key, keys.cert_pem(signer))
    unsigned_image = make_image("99.0-unsigned", model)
    files = {"unsigned.bin": unsigned_image, "rogue.bin": signed_image}
    runner, base = await _serve(files)
    try:
        since = len(ch.csms.received(ch.identity, "BootNotification"))
        status = await call_status(
            ch,
            "SignedUpdateFirmware",
            {
                "requestId": 1,
                "firmware": sig.ocpp_firmware(f"{base}/rogue.bin", _iso(charger_now(ch))),
            },
        )
        await asyncio.sleep(INSTALL_WAIT_S if status == "Accepted" else 0)
        if status.startswith("CALLERROR"):
            r29.check(
                "SignedUpdateFirmware: an image signed by an unknown signer is refused",
                False,
                f"{status}: the charger has no signed (verified) update path",
            )
        else:
            installed = _installed(ch, "99.1-rogue-signature", since)
            r29.check(
                "SignedUpdateFirmware: an image signed by an unknown signer is refused",
                not installed,
                "the unverified image was installed" if installed else f"{status}; not installed",
            )
        since = len(ch.csms.received(ch.identity, "BootNotification"))
        status = await call_status(
            ch,
            "UpdateFirmware",
            {
                "location": f"{base}/unsigned.bin",
                "retrieveDate": _iso(charger_now(ch)),
                "retries": 1,
            },
        )
        await ch.csms.wait_for(lambda: _installed(ch, "99.0-unsigned", since), INSTALL_WAIT_S)
        installed = _installed(ch, "99.0-unsigned", since)
        r29.check(
            "UpdateFirmware: an unsigned image is not installed",
            not installed,
            ("the unsigned image was installed and booted" if installed else "not installed"),
        )
        await _signed_installs(ch, r29, model, base, files)
    finally:
        await runner.cleanup()
    r29.done()


async def _signed_installs(
    ch: Charger, rec: Recorder, model: str, base: str, files: dict[str, bytes]
) -> None:
    """The positive case: an image signed by the manufacturer the charger trusts installs."""
    maker = ch.manufacturer
    if maker is None:
        rec.cannot(
            "SignedUpdateFirmware: an image signed by the manufacturer installs",
            "the suite does not hold the signing key of this charger's manufacturer",
        )
        return
    image = make_image("99.2-signed", model)
    key = keys.load_private_key(maker.signing_key.read_bytes())
    sig = signing.sign(image, key, maker.signing_cert.read_bytes())
    files["signed.bin"] = image
    since = len(ch.csms.received(ch.identity, "BootNotification"))
    status = await call_status(
        ch,
        "SignedUpdateFirmware",
        {
            "requestId": 3,
            "firmware": sig.ocpp_firmware(f"{base}/signed.bin", _iso(charger_now(ch))),
        },
    )
    await ch.csms.wait_for(lambda: _installed(ch, "99.2-signed", since), INSTALL_WAIT_S * 2)
    installed = _installed(ch, "99.2-signed", since)
    rec.check(
        "SignedUpdateFirmware: an image signed by the manufacturer installs",
        status == "Accepted" and installed,
        f"{status}; " + ("installed and booted" if installed else "not installed"),
    )


# --- R33: encrypted communication ----------------------------------------------------------------


async def _tls(ctx: Context) -> None:
    r33 = ctx.rec("R33")
    with tempfile.TemporaryDirectory(prefix="compliance-tls-") as tmp:
        folder = Path(tmp)
        ca_file, ca_key, ca_cert = make_ca(folder, "suite-ca")
        other_ca, _, _ = make_ca(folder / "other", "stranger-ca")
        secure = CentralSystem(ssl_context=server_context(folder, ca_key, ca_cert))
        await secure.start()
        ctx.extra_csms.append(secure)
        ch = await ctx.charger(
            ChargerSpec(
                start=SATURDAY_NOON_UK, speed=20, profile=2, ca_file=ca_file, owner_api=True
            ),
            secure,
        )
        version = (secure.tls_versions.get(ch.identity) or [None])[-1]
        r33.check(
            "OCPP over wss with TLS 1.2 or later",
            version in ("TLSv1.2", "TLSv1.3"),
            f"negotiated {version}",
        )
        try:
            stranger = await ctx.charger(
                ChargerSpec(
                    start=SATURDAY_NOON_UK, speed=20, profile=2, ca_file=other_ca, boot_timeout=8
                ),
                secure,
            )
            r33.check(
                "a central system whose certificate the charger cannot validate is refused",
                False,
                f"{stranger.identity} connected although it trusts only another CA",
            )
        except TargetError:
            r33.check(
                "a central system whose certificate the charger cannot validate is refused",
                True,
                "no connection in 8 s to a central system whose certificate is from an unknown CA",
            )
        await _owner_api_https(r33, ch)
    r33.done()


async def _owner_api_https(rec: Recorder, ch: Charger) -> None:
    """R33, the local side: the owner API speaks TLS 1.2+ only, with the charger's certificate."""
    owner = ch.owner
    if owner is None:
        rec.cannot(
            "HTTPS for the local owner API",
            "the suite cannot reach this charger's local owner interface (a charger under test"
            " over --listen): probe it by hand with `openssl s_client -tls1_1` and plain HTTP",
        )
        return
    modern = await probe_tls(owner.host, owner.port, None)
    own = cert_sha256(owner.cert_file) if owner.cert_file.is_file() else None
    rec.check(
        "owner API: TLS 1.2 or later, presenting the charger's own certificate",
        modern.version in ("TLSv1.2", "TLSv1.3")
        and own is not None
        and modern.peer_cert_sha256 == own,
        f"negotiated {modern.version or modern.refused}; certificate SHA-256"
        f" {modern.peer_cert_sha256} (the charger's file: {own})",
    )
    for name, version in (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1)):
        old = await probe_tls(owner.host, owner.port, version)
        if old.unsupported_here:
            why = f"the suite cannot offer {name}: {old.refused}"
            rec.cannot(f"owner API: {name} refused", why)
        else:
            rec.check(
                f"owner API: {name} refused",
                old.version is None,
                f"refused: {old.refused}" if old.version is None else f"accepted {old.version}",
            )
    answered = await probe_plain_http(owner.host, owner.port)
    rec.check(
        "owner API: plain HTTP is not answered",
        answered is None,
        "no HTTP answer in clear" if answered is None else f"answered in clear: {answered}",
    )
    try:
        setup = await owner.request("GET", "/setup")
        rec.check(
            "owner API: answers over HTTPS verified against the charger's certificate",
            "passwordSet" in setup,
            f"GET /api/setup: {setup}",
        )
    except (OwnerApiError, aiohttp.ClientError) as exc:
        rec.check(
            "owner API: answers over HTTPS verified against the charger's certificate",
            False,
            f"{type(exc).__name__}: {exc}",
        )


SCENARIOS = (
    Scenario("inputs", "Safe and validated inputs", ("R8", "R34"), _inputs),
    Scenario(
        "credentials",
        "Passwords, credentials, security log",
        ("R28", "R32", "R37", "R38"),
        _credentials,
    ),
    Scenario("firmware", "Secure software updates", ("R29",), _firmware),
    Scenario("tls", "Encrypted communication", ("R33",), _tls),
)
