"""Security (Schedule 1): R28, R29, R32, R33, R37, R38, and the input rules R8, R34.

Each check runs against what the charger does over OCPP (and, for the simulated target, what it
keeps on disk). Where the charger lacks a capability the check fails or cannot run, with why:
never a pass.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.chargepoint.security.provisioning import CredentialError, check_password
from smartcharge.compliance.csms import UK_VENDOR, CentralSystem, now_iso
from smartcharge.compliance.file_server import FileServer, readable
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
    ScenarioAborted,
    call_status,
    charger_now,
    connector,
    flat_profile,
    get_config,
    security_event,
    set_profile,
    start_session,
    uk,
    uk_check,
    wait_limit,
)
from smartcharge.compliance.target import Charger, ChargerSpec, TargetError
from smartcharge.compliance.tls import make_ca, server_context
from smartcharge.manufacturer import keys, signing

INSTALL_WAIT_S = 12.0
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
STRANGER_WAIT_S = 10.0  # a charger refusing the certificate keeps retrying meanwhile
RECONNECT_WAIT_S = 180.0  # a real charger may back off for minutes before it reconnects


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
    await _fixed_setting(r8, ch)
    await _validation(r34, ch)


async def _inputs_ocpp(ctx: Context) -> None:
    r8, r34 = ctx.rec("R8"), ctx.rec("R34")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    r8.cannot(
        "a setpoint above the hardware limit is clamped or rejected",
        "what the connector offers is seen with a car plugged in: set 100 A by hand and measure",
    )
    status = await set_profile(ch, 1, flat_profile(42, -8.0))
    r8.check("a negative setpoint is rejected", status != "Accepted", f"-8 A: {status}")
    if status == "Accepted":
        await call_status(ch, "ClearChargingProfile", {"id": 42})
    await _fixed_setting(r8, ch)
    await _validation(r34, ch)


async def _fixed_setting(r8: Recorder, ch: Charger) -> None:
    status = await call_status(
        ch, "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "8"}
    )
    r8.check("a fixed hardware setting cannot be changed", status == "Rejected", status)
    r8.done()


async def _validation(r34: Recorder, ch: Charger) -> None:
    """R34: each bad input is refused as a whole and changes nothing."""
    name = "default hours with a bad time: rejected, nothing changed"
    before = await uk_check(r34, name, ch, "GetDefaultHours", {})
    if before is not None:
        bad = {"mode": "custom", "windows": [{"weekday": 1, "start": "25:00", "end": "06:00"}]}
        status, answer = await uk(ch, "SetDefaultHours", {**bad, "by": "owner"})
        _, after = await uk(ch, "GetDefaultHours", {})
        r34.check(
            name,
            status == "Rejected" and before[1].get("defaultHours") == after.get("defaultHours"),
            f"{status} {answer}",
        )
    res = await ch.call(
        "DataTransfer",
        {"vendorId": UK_VENDOR, "messageId": "ChargeNow", "data": "{not json"},
    )
    r34.check(
        "a DataTransfer whose data is not JSON: rejected",
        res["status"] in ("Rejected", "UnknownVendorId", "UnknownMessageId"),
        str(res),
    )
    name = "a DSR event with a negative limit: rejected"
    event = {"id": "x", "kind": "response", "limitA": -5, "start": now_iso(), "durationS": 60}
    answered = await uk_check(r34, name, ch, "DsrEvent", event)
    if answered is not None:
        r34.check(name, answered[0] == "Rejected", f"{answered[0]} {answered[1]}")
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
    if status == "Accepted":
        await call_status(ch, "ClearChargingProfile", {"id": 43})
    r34.done()


# --- R28, R32, R37, R38 (and the tamper evidence for R36) ----------------------------------------


async def _credentials(ctx: Context) -> None:
    r28, r32, r37, r38 = (ctx.rec(r) for r in ("R28", "R32", "R37", "R38"))
    spec = ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=1, owner_api=True)
    ch = await ctx.charger(spec)
    await _passwords(r28, ch)
    await _authorization_key(r32, ch)
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
    tamper = "TamperDetectionActivated"
    got = await ch.csms.wait_for(lambda: security_event(ch, tamper, before), 10)
    r37.check(
        "an opened enclosure is logged and notified (SecurityEventNotification)",
        got,
        "TamperDetectionActivated received" if got else "no SecurityEventNotification in 10 s",
    )
    await _security_log(r37, ch)
    await _information(r38, ch)


async def _credentials_ocpp(ctx: Context) -> None:
    r28, r32, r37, r38 = (ctx.rec(r) for r in ("R28", "R32", "R37", "R38"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=1))
    await _passwords(r28, ch)
    await _authorization_key(r32, ch)
    r32.cannot(
        "credentials at rest (file permissions, sealed password)",
        "the charger's storage is inside it: inspect the file system on the hardware",
    )
    r32.done()
    r37.cannot(
        "an opened enclosure is logged and notified",
        "opening the enclosure is a physical act: open it and watch for a"
        " SecurityEventNotification TamperDetectionActivated",
    )
    await _security_log(r37, ch)
    await _information(r38, ch)


async def _passwords(r28: Recorder, ch: Charger) -> None:
    boot = ch.csms.received(ch.identity, "BootNotification")[-1].payload
    serial = str(boot.get("chargePointSerialNumber") or "")
    _password_check(r28, ch, serial, "at first connection")
    status = await call_status(ch, "Reset", {"type": "Hard"})
    boots = len(ch.csms.received(ch.identity, "BootNotification"))
    await ch.csms.wait_booted(ch.identity, 60, after=boots)
    await ch.csms.wait_connected(ch.identity, 10)
    _password_check(r28, ch, serial, f"after a hard reset ({status})")
    r28.done()


async def _authorization_key(r32: Recorder, ch: Charger) -> None:
    listed = await ch.call("GetConfiguration", {"key": ["AuthorizationKey"]})
    leaked = [k for k in listed.get("configurationKey") or [] if k.get("value")]
    r32.check(
        "the AuthorizationKey cannot be read back",
        not leaked,
        "listed without a value" if not leaked else "its value was returned",
    )


async def _security_log(r37: Recorder, ch: Charger) -> None:
    """An attempt to tamper with the software (an update signed by a garbage certificate) is
    refused and logged: the exported security log (GetLog) holds it."""
    status = await call_status(
        ch,
        "SignedUpdateFirmware",
        {
            "requestId": 90,
            "firmware": {
                "location": "http://127.0.0.1:9/never.bin",
                "retrieveDateTime": now_iso(),
                "signingCertificate": "not a certificate",
                "signature": "AAAA",
            },
        },
    )
    r37.check(
        "an update with a forged signing certificate is refused",
        status == "InvalidCertificate",
        f"SignedUpdateFirmware: {status}",
    )
    # Over wss the log comes over HTTPS too (a charger at profile 2+ uploads over https only),
    # with the certificate the charger already trusts for the central system.
    server = await FileServer().start(ch.csms.links[ch.identity].local_host, ch.csms.ssl_context)
    try:
        status = await call_status(
            ch,
            "GetLog",
            {
                "logType": "SecurityLog",
                "requestId": 91,
                "log": {"remoteLocation": server.url("up")},
            },
        )
        await ch.csms.wait_for(lambda: bool(server.uploads), 20)
    finally:
        await server.stop()
    r37.check(
        "the security log can be exported (GetLog SecurityLog)",
        status == "Accepted" and bool(server.uploads),
        f"GetLog {status}; "
        + (f"uploaded {server.uploads[0][0]}" if server.uploads else "nothing uploaded in 20 s"),
    )
    if server.uploads:
        text = readable(server.uploads[0][1])
        if text is None:
            r37.cannot(
                "the refused update is in the exported log",
                f"the uploaded log {server.uploads[0][0]} is in a format the suite cannot read",
            )
        else:
            kind = "InvalidFirmwareSigningCertificate"
            lines = [line for line in text.splitlines() if kind in line]
            stamped = [line for line in lines if _ISO_TIME.search(line)]
            r37.check(
                "the refused update is in the exported log, with its time",
                bool(stamped),
                f"{stamped[-1][:200]}"
                if stamped
                else f"no {kind} line with a date and time in the"
                f" {len(text.splitlines())} lines uploaded",
            )
    r37.done()


async def _information(r38: Recorder, ch: Charger) -> None:
    """R38: model, software version, support period and vulnerability contact, as the owner
    sees them: the owner API's `GET /api/info` (ours) and the UK extension's GetDeviceInfo,
    which the platform's web app shows the owner (its about page)."""
    boot = ch.csms.received(ch.identity, "BootNotification")[-1].payload
    model, version = boot.get("chargePointModel"), boot.get("firmwareVersion")
    r38.check(
        "model and software version are reported (BootNotification)",
        bool(model) and bool(version),
        f"model {model!r}, software {version!r}",
    )
    if ch.owner is not None:
        try:
            info = await ch.owner.request("GET", "/info")
            complete, detail = _device_info_complete(info, model, version)
        except OwnerApiError as exc:
            complete, detail = False, str(exc)
        r38.check(
            "the owner sees all four on the charger's owner API (GET /api/info)", complete, detail
        )
    name = "all four over OCPP, for the owner's web app (UK extension GetDeviceInfo)"
    answered = await uk_check(r38, name, ch, "GetDeviceInfo", {})
    if answered is not None:
        complete, detail = _device_info_complete(answered[1], model, version)
        r38.check(name, answered[0] == "Accepted" and complete, f"{answered[0]}; {detail}")
    r38.done()


def _device_info_complete(info: dict[str, Any], model: object, version: object) -> tuple[bool, str]:
    """All four present and well formed, and the same model and version as the boot report."""
    until, contact = info.get("supportUntil"), info.get("vulnerabilityContact")
    problems = []
    if info.get("model") != model or info.get("firmwareVersion") != version:
        problems.append("model or version differ from the BootNotification")
    if not (isinstance(until, str) and _DATE.fullmatch(until)):
        problems.append("no support period (supportUntil YYYY-MM-DD)")
    if not (isinstance(contact, str) and contact.strip()):
        problems.append("no vulnerability-reporting contact")
    shown = {
        k: info.get(k) for k in ("model", "firmwareVersion", "supportUntil", "vulnerabilityContact")
    }
    return not problems, f"{shown}" + (f": {'; '.join(problems)}" if problems else "")


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


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _installed(ch: Charger, version: str, since: int) -> bool:
    boots = ch.csms.received(ch.identity, "BootNotification")[since:]
    return any(b.payload.get("firmwareVersion") == version for b in boots)


async def _firmware(ctx: Context) -> None:
    r29 = ctx.rec("R29")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20))
    model = str(ch.csms.received(ch.identity, "BootNotification")[-1].payload["chargePointModel"])
    server = await FileServer().start()
    try:
        await _rogue_signer(r29, ch, model, server)
        await _unsigned(r29, ch, model, server)
        await _signed_installs(ch, r29, model, server)
    finally:
        await server.stop()
    r29.done()


async def _firmware_ocpp(ctx: Context) -> None:
    r29 = ctx.rec("R29")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20))
    model = str(ch.csms.received(ch.identity, "BootNotification")[-1].payload["chargePointModel"])
    server = await FileServer().start(ch.csms.links[ch.identity].local_host)
    try:
        await _rogue_signer(r29, ch, model, server)
    finally:
        await server.stop()
    r29.cannot(
        "UpdateFirmware: an unsigned image is not installed",
        "the suite's test images are in the smartcharge format, which a charger of another make"
        " refuses for that alone; try an unsigned image of the charger's own by hand",
    )
    r29.cannot(
        "SignedUpdateFirmware: an image signed by the manufacturer installs",
        "the suite does not hold the signing key of this charger's manufacturer",
    )
    r29.done()


async def _rogue_signer(r29: Recorder, ch: Charger, model: str, server: FileServer) -> None:
    rogue_key = keys.new_key("ecdsa")
    now = charger_now(ch)  # the certificates are valid on the charger's (simulated) clock
    root = keys.make_root(keys.new_key("ecdsa"), "Rogue", now)
    # A signer the charger's manufacturer never certified: root key is not the one used below,
    # so the chain does not verify either way.
    signer = keys.make_signing_cert(rogue_key, root, keys.new_key("ecdsa"), now)
    signed_image = make_image("99.1-rogue-signature", model)
    sig = signing.sign(signed_image, rogue_key, keys.cert_pem(signer))
    status, since = await _send_signed(ch, server, "rogue.bin", signed_image, sig, 1)
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


async def _send_signed(
    ch: Charger,
    server: FileServer,
    name: str,
    image: bytes,
    sig: signing.Signature,
    request_id: int,
) -> tuple[str, int]:
    """Serve `image` and send SignedUpdateFirmware for it: (answer, boots before)."""
    server.files[name] = image
    since = len(ch.csms.received(ch.identity, "BootNotification"))
    status = await call_status(
        ch,
        "SignedUpdateFirmware",
        {
            "requestId": request_id,
            "firmware": sig.ocpp_firmware(server.url(name), _iso(charger_now(ch))),
        },
    )
    return status, since


async def _unsigned(r29: Recorder, ch: Charger, model: str, server: FileServer) -> None:
    server.files["unsigned.bin"] = make_image("99.0-unsigned", model)
    since = len(ch.csms.received(ch.identity, "BootNotification"))
    await call_status(
        ch,
        "UpdateFirmware",
        {
            "location": server.url("unsigned.bin"),
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


async def _signed_installs(ch: Charger, rec: Recorder, model: str, server: FileServer) -> None:
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
    status, since = await _send_signed(ch, server, "signed.bin", image, sig, 3)
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


async def _tls_ocpp(ctx: Context) -> None:
    r33 = ctx.rec("R33")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=2))
    version = (ctx.csms.tls_versions.get(ch.identity) or [None])[-1]
    if ctx.csms.ssl_context is None:
        why = (
            "the suite listened without TLS: give --tls-cert and --tls-key (a certificate the"
            " charger trusts) to test wss"
        )
        r33.cannot("OCPP over wss with TLS 1.2 or later", why)
        r33.cannot("a central system whose certificate cannot be validated is refused", why)
    else:
        r33.check(
            "OCPP over wss with TLS 1.2 or later",
            version in ("TLSv1.2", "TLSv1.3"),
            f"negotiated {version}",
        )
        await _stranger_refused(r33, ctx.csms, ch)
    await _owner_api_https(r33, ch)
    r33.done()


async def _stranger_refused(rec: Recorder, csms: CentralSystem, ch: Charger) -> None:
    """The suite presents a certificate from a CA the charger cannot know and drops the
    connection: the charger must not connect again until the right certificate is back."""
    with tempfile.TemporaryDirectory(prefix="compliance-tls-") as tmp:
        _, key, cert = make_ca(Path(tmp), "stranger-ca")
        stranger = server_context(Path(tmp), key, cert)
    name = "a central system whose certificate the charger cannot validate is refused"
    csms.present(stranger)
    try:
        await csms.disconnect(ch.identity)
        connected = await csms.wait_connected(ch.identity, STRANGER_WAIT_S)
    finally:
        csms.present(None)
    if connected:
        rec.check(name, False, "it connected to the suite presenting another CA's certificate")
        return
    back = await csms.wait_connected(ch.identity, RECONNECT_WAIT_S)
    rec.check(
        name,
        True,
        f"no connection in {STRANGER_WAIT_S:.0f} s while the suite presented a certificate from"
        " an unknown CA; " + ("back with the right one" if back else "not back afterwards"),
    )
    if not back:
        raise ScenarioAborted(f"the charger did not reconnect in {RECONNECT_WAIT_S:.0f} s")


async def _owner_api_https(rec: Recorder, ch: Charger) -> None:
    """R33, the local side: the owner API speaks TLS 1.2+ only, with the charger's certificate
    (ours: the file it made; a charger under test: its local interface given by --local-https,
    whose certificate fingerprint the report shows for comparison with the label)."""
    owner = ch.owner
    if owner is not None:
        host, port = owner.host, owner.port
        own = cert_sha256(owner.cert_file) if owner.cert_file.is_file() else None
    elif ch.local_https is not None:
        (host, port), own = ch.local_https, None
    else:
        rec.cannot(
            "HTTPS for the local owner API",
            "the suite does not know this charger's local interface: give it with --local-https"
            " HOST:PORT, or probe it by hand with `openssl s_client -tls1_1` and plain HTTP",
        )
        return
    modern = await probe_tls(host, port, None)
    rec.check(
        "owner API: TLS 1.2 or later, presenting the charger's own certificate",
        modern.version in ("TLSv1.2", "TLSv1.3")
        and modern.peer_cert_sha256 is not None
        and (own is None or modern.peer_cert_sha256 == own),
        f"negotiated {modern.version or modern.refused}; certificate SHA-256"
        f" {modern.peer_cert_sha256}"
        + (f" (the charger's file: {own})" if owner is not None else " (compare with the label)"),
    )
    for name, version in (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1)):
        old = await probe_tls(host, port, version)
        if old.unsupported_here:
            why = f"the suite cannot offer {name}: {old.refused}"
            rec.cannot(f"owner API: {name} refused", why)
        else:
            rec.check(
                f"owner API: {name} refused",
                old.version is None,
                f"refused: {old.refused}" if old.version is None else f"accepted {old.version}",
            )
    answered = await probe_plain_http(host, port)
    rec.check(
        "owner API: plain HTTP is not answered",
        answered is None,
        "no HTTP answer in clear" if answered is None else f"answered in clear: {answered}",
    )
    if owner is None:
        return
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
    Scenario("inputs", "Safe and validated inputs", ("R8", "R34"), _inputs, ocpp_only=_inputs_ocpp),
    Scenario(
        "credentials",
        "Passwords, credentials, security log",
        ("R28", "R32", "R37", "R38"),
        _credentials,
        ocpp_only=_credentials_ocpp,
    ),
    Scenario("firmware", "Secure software updates", ("R29",), _firmware, ocpp_only=_firmware_ocpp),
    Scenario("tls", "Encrypted communication", ("R33",), _tls, ocpp_only=_tls_ocpp),
)
