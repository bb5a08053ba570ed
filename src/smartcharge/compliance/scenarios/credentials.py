"""Passwords, credentials, the security log and product information: R28, R32, R37, R38.

Every check here passes on something the charger did or said: the password it presented on a
connection (and on the new connection after a hard reset), the AuthorizationKey it listed
without its value, the refusal it answered, the event it notified or exported. A wait that ends
with neither the compliant nor the violating outcome is "not run", with why.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

from smartcharge.chargepoint.security.provisioning import CredentialError, check_password
from smartcharge.compliance.csms import now_iso
from smartcharge.compliance.owner_client import OwnerApiError
from smartcharge.compliance.scenarios import security_log
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    call_status,
    security_event,
    uk_check,
)
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# Generous: each wait ends as soon as the charger answers; only a silent charger waits it out.
EVENT_WAIT_S = 30.0
RESET_WAIT_S = 120.0
TAMPER = "TamperDetectionActivated"
EDITED = "EditedByTheComplianceSuite"


async def _credentials(ctx: Context) -> None:
    r28, r32, r37, r38 = (ctx.rec(r) for r in ("R28", "R32", "R37", "R38"))
    spec = ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=1, owner_api=True)
    ch = await ctx.charger(spec)
    await passwords(r28, ch)
    await _authorization_key(r32, ch)
    if ch.data_dir is not None:
        _at_rest(r32, ch)
    else:
        r32.cannot("credentials at rest", "the charger's storage is not reachable")
    r32.done()

    assert ch.sim is not None
    before = len(ch.csms.received(ch.identity, "SecurityEventNotification"))
    await ch.sim.tamper("enclosure opened by the compliance suite")
    notified = await ch.csms.wait_for(lambda: security_event(ch, TAMPER, before), EVENT_WAIT_S)
    exported = await _security_log(r37, ch)
    _tamper_verdict(r37, notified, exported)
    await information(r38, ch)
    await _edited_log(r37, ch)  # last: it breaks the charger's log on purpose
    r37.done()


async def _edited_log(r37: Recorder, ch: Charger) -> None:
    """Tamper-evident: the suite edits the oldest entry of the security log where the charger
    stores it (as an intruder with its files would); the charger's own check, which the owner
    reads with the log, must then say it is not intact."""
    name = "an entry edited in the stored security log is detected (tamper-evident)"
    path = ch.data_dir / "security.sqlite" if ch.data_dir is not None else None
    if ch.owner is None or path is None or not path.exists():
        r37.cannot(
            name,
            "the charger's stored log or its owner API is not reachable: edit the log on the"
            " hardware, then read it as the owner",
        )
        return
    try:
        await ch.owner.first_use()
        before = await ch.owner.request("GET", "/security-log")
        edited = await asyncio.to_thread(_edit_oldest, path)
        after = await ch.owner.request("GET", "/security-log")
    except (OwnerApiError, OSError, sqlite3.Error) as exc:
        r37.cannot(name, f"the log could not be edited and read back: {exc}")
        return
    if before.get("intact") is not True or edited is None:
        r37.cannot(name, f"before the edit: intact {before.get('intact')}, edited {edited}")
        return
    seq, was = edited
    r37.check(
        name,
        after.get("intact") is False,
        f"entry {seq} changed from {was!r} to {EDITED!r} in {path.name}; the owner then reads"
        f" intact {after.get('intact')}, problem {after.get('problem')!r}",
    )


def _edit_oldest(path: Path) -> tuple[int, str] | None:
    """Change the event of the oldest entry in place: (its seq, the event it had), or None."""
    db = sqlite3.connect(path, timeout=30)
    try:
        row = db.execute("SELECT seq, event FROM entries ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        with db:
            db.execute("UPDATE entries SET event = ? WHERE seq = ?", (EDITED, row[0]))
        return int(row[0]), str(row[1])
    finally:
        db.close()


def _at_rest(r32: Recorder, ch: Charger) -> None:
    assert ch.data_dir is not None
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


def _tamper_verdict(r37: Recorder, notified: bool, exported: str | None) -> None:
    """An opened enclosure: notified (pass); or, not notified, judged on the security log
    exported after the opening: a log without the event is the proof it was not logged."""
    name = "an opened enclosure is logged and notified (SecurityEventNotification)"
    if notified:
        r37.check(name, True, f"{TAMPER} received")
    elif exported is not None and TAMPER not in exported:
        r37.check(
            name,
            False,
            f"no SecurityEventNotification, and the security log exported after the opening has"
            f" no {TAMPER} line ({len(exported.splitlines())} lines)",
        )
    else:
        r37.cannot(
            name,
            f"no SecurityEventNotification {TAMPER} in {EVENT_WAIT_S:.0f} s"
            + (", though the exported log has it" if exported else ", and no log to look in"),
        )


async def _credentials_ocpp(ctx: Context) -> None:
    r28, r32, r37, r38 = (ctx.rec(r) for r in ("R28", "R32", "R37", "R38"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, profile=1))
    await passwords(r28, ch)
    await _authorization_key(r32, ch)
    r32.cannot(
        "credentials at rest (file permissions, sealed password)",
        "the charger's storage is inside it: inspect the file system on the hardware",
    )
    r32.done()
    r37.cannot(
        "an opened enclosure is logged and notified",
        "opening the enclosure is a physical act: open it and watch for a"
        f" SecurityEventNotification {TAMPER}",
    )
    await _security_log(r37, ch)
    r37.done()
    await information(r38, ch)


async def passwords(r28: Recorder, ch: Charger) -> None:
    boot = ch.csms.received(ch.identity, "BootNotification")[-1].payload
    serial = str(boot.get("chargePointSerialNumber") or "")
    _password_check(r28, ch, serial, "at first connection")
    connections = len(ch.csms.passwords.get(ch.identity) or [])
    boots = len(ch.csms.received(ch.identity, "BootNotification"))
    status = await call_status(ch, "Reset", {"type": "Hard"})
    booted = await ch.csms.wait_booted(ch.identity, RESET_WAIT_S, after=boots)
    reconnected = len(ch.csms.passwords.get(ch.identity) or []) > connections
    if status != "Accepted" or not (booted and reconnected):
        r28.cannot(
            "the password presented after a hard reset",
            f"Reset Hard: {status}; "
            + ("booted" if booted else f"no new BootNotification in {RESET_WAIT_S:.0f} s")
            + ("" if reconnected else ", on no new connection"),
        )
    else:
        await ch.csms.wait_connected(ch.identity, 10)
        _password_check(r28, ch, serial, f"after a hard reset ({status})")
    r28.done()


async def _authorization_key(r32: Recorder, ch: Charger) -> None:
    name = "the AuthorizationKey cannot be read back"
    listed = await ch.call("GetConfiguration", {"key": ["AuthorizationKey"]})
    keys = [
        k
        for k in listed.get("configurationKey") or []
        if str(k.get("key", "")).casefold() == "authorizationkey"
    ]
    if not keys:
        r32.cannot(
            name,
            f"GetConfiguration did not list AuthorizationKey (unknown: {listed.get('unknownKey')}):"
            " a charger at security profile 1-2 has one; check it is configured",
        )
        return
    leaked = [k for k in keys if k.get("value")]
    r32.check(
        name,
        not leaked,
        "listed without a value" if not leaked else "its value was returned",
    )


async def _security_log(r37: Recorder, ch: Charger) -> str | None:
    """An attempt to tamper with the software (an update signed by a garbage certificate) is
    refused and logged: the exported security log (GetLog) holds it. The log's text, if read."""
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
    # Accepting an update whose signing certificate is not one is itself the violation.
    r37.check(
        "an update with a forged signing certificate is refused",
        status == "InvalidCertificate",
        f"SignedUpdateFirmware: {status}",
    )
    text = await _export_log(r37, ch)
    if text is not None:
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
    return text


async def _export_log(r37: Recorder, ch: Charger) -> str | None:
    """GetLog SecurityLog to the suite; the uploaded text, or None (with the check recorded)."""
    name = "the security log can be exported (GetLog SecurityLog)"
    got = await security_log.export(ch)
    if got.uploaded:
        r37.check(name, True, f"GetLog {got.answer}; uploaded {got.name}")
    elif got.refused:
        r37.check(name, False, f"GetLog {got.answer}; LogStatusNotification {got.failure}")
        return None
    else:
        why = f"GetLog Accepted; no upload and no failure in {security_log.UPLOAD_WAIT_S:.0f} s"
        r37.cannot(name, why)
        return None
    if got.text is None:
        r37.cannot(
            "the refused update is in the exported log",
            f"the uploaded log {got.name} is in a format the suite cannot read",
        )
    return got.text


async def information(r38: Recorder, ch: Charger) -> None:
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
            complete, detail = device_info_complete(info, model, version)
        except OwnerApiError as exc:
            complete, detail = False, str(exc)
        r38.check(
            "the owner sees all four on the charger's owner API (GET /api/info)", complete, detail
        )
    name = "all four over OCPP, for the owner's web app (UK extension GetDeviceInfo)"
    answered = await uk_check(r38, name, ch, uk_extension.GET_DEVICE_INFO, {})
    if answered is not None:
        complete, detail = device_info_complete(answered[1], model, version)
        r38.check(name, answered[0] == "Accepted" and complete, f"{answered[0]}; {detail}")
    r38.done()


def device_info_complete(info: dict[str, Any], model: object, version: object) -> tuple[bool, str]:
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


SCENARIOS = (
    Scenario(
        "credentials",
        "Passwords, credentials, security log",
        ("R28", "R32", "R37", "R38"),
        _credentials,
        ocpp_only=_credentials_ocpp,
    ),
)
