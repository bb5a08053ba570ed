"""The charger's own software: the update check (R30) and secure boot (R31).

- `update_check`: the suite serves a release description newer than what the charger runs and
  points the charger's update URL at it; the charger must fetch it at start and again after its
  check interval, and show the newer version to the owner (owner API `firmware.updateCheck`).
- `boot_integrity`: the suite plays the manufacturer: it copies the charger's software, signs a
  boot manifest of the copy and runs the charger from it. A clean start takes commands; after one
  installed file is changed and the charger restarted, the change must be logged and notified,
  shown to the owner, and every remote command (charging included) refused; once the file is
  restored, the next start is whole again.

Both need the simulated target: the suite sets the update URL and edits the installed software,
which on a charger of another make is the manufacturer's business (not run, with why).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson

import smartcharge
from smartcharge.compliance.file_server import FileServer
from smartcharge.compliance.owner_client import OwnerApiError
from smartcharge.compliance.scenarios.base import (
    GUARD_S,
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    call_status,
    connector,
    flat_profile,
    security_event,
    set_profile,
    stop_session,
    until,
)
from smartcharge.compliance.target import Charger, ChargerSpec, SimulatedTarget
from smartcharge.manufacturer.manifest import sign_manifest
from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.times import parse_time

NEWER = "99.9-compliance"
# An hour of the charger's clock in 30 real seconds: a start slowed by a busy machine stays well
# under half an interval (15 real s) on the charger's clock, where "at start" is judged.
UPDATE_SPEED = 120.0
# Generous: each wait ends as soon as the charger did what is awaited.
FETCH_WAIT_S = 60.0
CHECK_INTERVAL_H = 1  # the shortest the charger allows; shipped: 24 h (docs/chargepoint.md)
EDITED = Path("chargepoint") / "charging" / "decision.py"  # the installed file the suite changes


async def _owner_status(ch: Charger) -> dict[str, Any]:
    assert ch.owner is not None
    return dict(await ch.owner.request("GET", "/status"))


# --- R30 -----------------------------------------------------------------------------------------


async def _update_check(ctx: Context) -> None:
    r30 = ctx.rec("R30")
    server = await FileServer().start()
    body = {"version": NEWER, "location": "https://updates.example.invalid/fw.bin"}
    server.files["latest.json"] = orjson.dumps(body)

    def fetched() -> list[float]:
        return [t for name, t in server.fetched if name == "latest.json"]

    try:
        firmware = {"update_url": server.url("latest.json"), "check_interval_h": CHECK_INTERVAL_H}
        ch = await ctx.charger(
            ChargerSpec(
                start=SATURDAY_NOON_UK,
                speed=UPDATE_SPEED,
                random_delay_max_s=0,
                owner_api=True,
                extra={"firmware": firmware},
            )
        )
        booted = ch.csms.received(ch.identity, "BootNotification")[0].at
        await ctx.csms.wait_for(lambda: bool(fetched()), FETCH_WAIT_S)
        first = fetched()
        first_at = (await _owner_sees_update(r30, ch)).get("checkedAt")
        interval_s = CHECK_INTERVAL_H * 3600.0
        _at_start(r30, first[0] - booted if first else None, first_at, interval_s)
        # Generous (three intervals of the simulated clock): it ends at the second fetch.
        await ctx.csms.wait_for(lambda: len(fetched()) >= 2, ch.real_seconds(interval_s * 3))
        got = fetched()
        name = "and periodically, every check interval"
        # The gap on the charger's own clock: the time it gives each check in the owner's view.
        ready = first_at is not None and len(got) >= 2
        second_at = await _next_check(ch, str(first_at)) if ready else None
        if first_at is None or second_at is None:
            r30.cannot(name, f"{len(got)} checks seen; their times not shown to the owner")
        else:
            gap = (parse_time(second_at) - parse_time(first_at)).total_seconds()
            r30.check(
                name,
                0.8 * interval_s <= gap <= 1.25 * interval_s,
                f"checked at {first_at} and {second_at} (charger clock): {gap:.0f} s apart;"
                f" interval configured {interval_s:.0f} s (the shortest allowed; shipped: 24 h)",
            )
        if got:
            r30.evidence.timings["first update check, real s from the boot"] = got[0] - booted
    finally:
        await server.stop()
    r30.done()


def _at_start(r30: Recorder, real_s: float | None, first_at: object, interval_s: float) -> None:
    """On the charger's own clock, which starts at SATURDAY_NOON_UK: its first check nearer its
    start than one interval later (a charger that only checks periodically fetches too, but an
    interval after its start, which the suite's wall clock cannot tell from a slow start)."""
    name = "the charger checks for updates at start"
    if real_s is None:
        r30.cannot(name, f"not fetched within {FETCH_WAIT_S:.0f} s of the boot")
        return
    if first_at is None:
        r30.cannot(name, "fetched, but the time of the check is not shown to the owner")
        return
    after_s = (parse_time(str(first_at)) - SATURDAY_NOON_UK).total_seconds()
    r30.check(
        name,
        after_s < interval_s / 2,
        f"first check at {first_at} (charger clock), {after_s / 60:.0f} min after its clock"
        f" started, one interval being {interval_s / 60:.0f} min; release description fetched"
        f" {real_s:+.1f} real s from its BootNotification",
    )


async def _next_check(ch: Charger, after: str) -> str | None:
    """The time (charger clock) of the owner's view's next update check after `after`."""
    got: str | None = None

    async def newer() -> bool:
        nonlocal got
        check = ((await _owner_status(ch)).get("firmware") or {}).get("updateCheck") or {}
        got = check.get("checkedAt") if check.get("checkedAt") != after else None
        return got is not None

    with contextlib.suppress(ScenarioAborted):
        await until("the next update check in the owner's status", newer, FETCH_WAIT_S, poll=0.2)
    return got


async def _owner_sees_update(rec: Recorder, ch: Charger) -> dict[str, Any]:
    """Required: the owner sees the newer version. Also told to the central system (evidence)."""
    assert ch.owner is not None
    await ch.owner.until_up()
    seen: dict[str, Any] = {}

    async def shown() -> bool:
        nonlocal seen
        seen = ((await _owner_status(ch)).get("firmware") or {}).get("updateCheck") or {}
        return bool(seen.get("latestVersion"))

    with contextlib.suppress(ScenarioAborted):  # what it shows then is the evidence
        await until("the update check in the owner's status", shown, FETCH_WAIT_S, poll=0.2)
    notices = ch.csms.uk_messages(ch.identity, uk_extension.UPDATE_AVAILABLE)
    told_csms = (
        f"; also told to the central system (DataTransfer UpdateAvailable: {notices[-1][1]})"
        if notices
        else "; no DataTransfer UpdateAvailable to the central system (not required)"
    )
    name = "the owner is told about the newer version (owner API status)"
    if not seen:
        rec.cannot(name, f"no update check in the owner's status in {FETCH_WAIT_S:.0f} s")
        return seen
    rec.check(
        name,
        seen.get("updateAvailable") is True and seen.get("latestVersion") == NEWER,
        f"firmware.updateCheck = {seen}{told_csms}",
    )
    return seen


# --- R31 -----------------------------------------------------------------------------------------


async def _boot_integrity(ctx: Context) -> None:
    r31 = ctx.rec("R31")
    target = ctx.target
    if not isinstance(target, SimulatedTarget):  # the runner only calls us with the simulator
        raise ScenarioAborted("boot integrity needs the simulated target")
    maker = await target.manufacturer_keys()
    folder = Path(tempfile.mkdtemp(prefix="compliance-software-"))
    try:
        software = folder / "smartcharge"
        await asyncio.to_thread(  # hundreds of files: off the event loop
            shutil.copytree,
            Path(smartcharge.__file__).parent,
            software,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        manifest = folder / "boot-manifest.json"
        await asyncio.to_thread(
            sign_manifest,
            software,
            smartcharge.__version__,
            maker.signing_key.read_bytes(),
            maker.signing_cert.read_bytes(),
            manifest,
        )
        ch = await ctx.charger(
            ChargerSpec(
                start=SATURDAY_NOON_UK,
                speed=20,
                random_delay_max_s=0,
                owner_api=True,
                software_dir=software,
                extra={"security": {"boot_manifest": str(manifest)}},
            )
        )
        assert ch.owner is not None and ch.sim is not None
        await ch.owner.until_up()
        software_state = (await _owner_status(ch)).get("software") or {}
        r31.check(
            "as signed: the check passes at start and the owner sees it",
            software_state.get("integrity") == "intact",
            f"owner API software = {software_state}",
        )
        await ch.sim.plug(1)
        status = await _remote_start(ch, "COMPLBOOT1")
        r31.check("as signed: a remote start is accepted", status == "Accepted", status)
        await stop_session(ch, 1)

        edited = software / EDITED
        original = edited.read_bytes()
        edited.write_bytes(original + b"\n# changed by the compliance suite\n")
        events_before = len(ch.csms.received(ch.identity, "SecurityEventNotification"))
        await target.restart(ch, ctx.csms)
        await _changed_install(ctx, r31, ch, events_before)

        edited.write_bytes(original)
        await target.restart(ch, ctx.csms)
        await ch.owner.until_up()
        software_state = (await _owner_status(ch)).get("software") or {}
        await ch.sim.plug(1)
        status = await _remote_start(ch, "COMPLBOOT3")
        # A restored check is only notified after a failed one: a charger that never notified
        # the failure is not waited for (its R31 failed above, on its own status).
        failed = security_event(ch, "BootIntegrityFailed", events_before)
        restored = failed and await ch.csms.wait_for(
            lambda: security_event(ch, "BootIntegrityRestored", events_before), FETCH_WAIT_S
        )
        name = "restored: at the next start the software is whole again and takes commands"
        whole = software_state.get("integrity") == "intact" and status == "Accepted"
        detail = (
            f"owner API integrity {software_state.get('integrity')!r}; RemoteStartTransaction"
            f" {status}; BootIntegrityRestored {'notified' if restored else 'not notified'}"
        )
        if whole and not failed:
            r31.cannot(name, f"{detail}: no failed check was notified, so none restored")
        elif whole and not restored:
            # Whole and obeying, but its event not seen within the wait: nothing to judge on.
            r31.cannot(name, f"{detail} in {FETCH_WAIT_S:.0f} s")
        else:
            r31.check(name, whole, detail)
        await ctx.target.stop(ch)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    r31.done()


async def _changed_install(ctx: Context, rec: Recorder, ch: Charger, events_before: int) -> None:
    assert ch.owner is not None and ch.sim is not None
    await ch.owner.until_up()
    software_state: dict[str, Any] = {}

    async def checked() -> bool:  # its status gives the check's result, whichever it is
        nonlocal software_state
        software_state = (await _owner_status(ch)).get("software") or {}
        return software_state.get("integrity") in ("intact", "failed")

    with contextlib.suppress(ScenarioAborted):
        await until("the boot check's result in the owner's status", checked, FETCH_WAIT_S)
    # The notification is waited for once the charger's own status shows the failed check; a
    # charger that shows none fails R31 below on that status, and is not waited for.
    detected = software_state.get("integrity") == "failed"
    notified = security_event(ch, "BootIntegrityFailed", events_before) or (
        detected
        and await ch.csms.wait_for(
            lambda: security_event(ch, "BootIntegrityFailed", events_before), FETCH_WAIT_S
        )
    )
    name = "changed: the failed check is logged and notified (SecurityEventNotification)"
    if notified:
        rec.check(name, True, "BootIntegrityFailed received")
    elif detected:
        rec.cannot(name, f"no BootIntegrityFailed in {FETCH_WAIT_S:.0f} s")
    else:
        rec.cannot(name, f"none notified; no failed check in the owner's status: {software_state}")
    try:
        logged = await ch.owner.request("GET", "/security-log")
        in_log = any(e.get("type") == "BootIntegrityFailed" for e in logged.get("entries", []))
    except OwnerApiError as exc:
        in_log, logged = False, {"error": str(exc)}
    rec.check(
        "changed: the owner is told (owner API status and security log)",
        software_state.get("integrity") == "failed"
        and EDITED.as_posix() in str(software_state.get("integrityDetail"))
        and in_log,
        f"software = {software_state}; BootIntegrityFailed in the owner's security log: {in_log}",
    )
    answers = {
        "ChangeConfiguration": await call_status(
            ch, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "30"}
        ),
        "SetChargingProfile": await set_profile(ch, 0, flat_profile(71, 32.0)),
        "Reset": await call_status(ch, "Reset", {"type": "Soft"}),
    }
    rec.check(
        "changed: remote commands are refused",
        all(a.startswith("CALLERROR") or a == "Rejected" for a in answers.values()),
        f"answers: {answers}",
    )
    await ch.sim.plug(1)
    status = await _remote_start(ch, "COMPLBOOT2")
    # Judged on the charger's refusal (and no transaction when it answered), never on nothing
    # happening for a while.
    c = await connector(ch, 1)
    charging = c.get("transaction_id") is not None or float(c.get("power_w") or 0) > 0
    rec.check(
        "changed: no charging on the network's instruction",
        (status.startswith("CALLERROR") or status == "Rejected") and not charging,
        f"RemoteStartTransaction: {status}; then: {c.get('status')},"
        f" {c.get('power_w')} W, transaction {c.get('transaction_id')}",
    )
    await ch.sim.unplug(1)


async def _remote_start(ch: Charger, id_tag: str) -> str:
    status = await call_status(ch, "RemoteStartTransaction", {"idTag": id_tag, "connectorId": 1})
    if status == "Accepted":

        async def started() -> bool:
            return (await connector(ch, 1)).get("transaction_id") is not None

        await until("the remote start", started, GUARD_S)
    return status


SCENARIOS = (
    Scenario(
        "update_check",
        "Software updates: the check and the owner's notice",
        ("R30",),
        _update_check,
        physical="the suite sets the charger's update address and reads the owner's notice on"
        " the charger's own interface; on another make, point its update check at a newer"
        " release and look for the notice by hand",
    ),
    Scenario(
        "boot_integrity",
        "Secure boot: a changed install",
        ("R31",),
        _boot_integrity,
        physical="the suite changes a file of the installed software and restarts the charger;"
        " on another make, do that on the hardware and watch it report and refuse commands",
    ),
)
