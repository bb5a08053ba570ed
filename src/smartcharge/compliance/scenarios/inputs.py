"""Safe and validated inputs: R8 (no input creates a safety risk) and R34 (inputs validated).

A setpoint outside the safe range passes when the charger refuses it, or accepts it and clamps
it: the clamp is seen on the connector (simulated target) or in the charger's own plan
(GetCompositeSchedule). An answer alone is never the verdict: "Accepted" then a plan of the bad
value is a fail; "Accepted" with nothing to look at is "not run".
"""

from __future__ import annotations

from smartcharge.compliance.csms import now_iso
from smartcharge.compliance.scenarios.base import (
    GUARD_S,
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    call_status,
    composite,
    connector,
    flat_profile,
    get_config,
    set_profile,
    start_session,
    uk,
    uk_check,
    wait_limit,
)
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension

HARDWARE_A = 32.0


async def _inputs(ctx: Context) -> None:
    r8, r34 = ctx.rec("R8"), ctx.rec("R34")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    await start_session(ch, 1)
    await wait_limit(ch, 1, HARDWARE_A, timeout=GUARD_S)
    await _setpoints(r8, ch)
    await _fixed_setting(r8, ch)
    await _validation(r34, ch)


async def _inputs_ocpp(ctx: Context) -> None:
    r8, r34 = ctx.rec("R8"), ctx.rec("R34")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    await _setpoints(r8, ch)
    await _fixed_setting(r8, ch)
    await _validation(r34, ch)


async def _setpoints(r8: Recorder, ch: Charger) -> None:
    await _planned(r8, ch, 41, 100.0, "a setpoint above the hardware limit is clamped or rejected")
    await _planned(r8, ch, 42, -8.0, "a negative setpoint is rejected or clamped")


async def _planned(r8: Recorder, ch: Charger, profile_id: int, amps: float, name: str) -> None:
    """Refused, or accepted and clamped in the charger's own plan (GetCompositeSchedule) and,
    with a car charging on the simulated target, in what the connector then offers."""
    status = await set_profile(ch, 1, flat_profile(profile_id, amps))
    if status != "Accepted":
        r8.check(name, True, f"SetChargingProfile {amps:g} A: {status} (refused)")
        return
    plan = await composite(ch, 1, 300)
    if not plan:
        await call_status(ch, "ClearChargingProfile", {"id": profile_id})
        r8.cannot(
            name,
            f"SetChargingProfile {amps:g} A: Accepted, and the charger's composite schedule is"
            " empty: whether it clamps shows on a charging car (--session, or set it by hand)",
        )
        return
    planned = plan[0][1]
    safe = 0.0 <= planned < amps if amps > 0 else planned >= 0.0
    detail = (
        f"SetChargingProfile {amps:g} A: Accepted; the charger plans {planned:g} A"
        f" ({'clamped' if safe else 'not clamped'}, GetCompositeSchedule)"
    )
    if ch.sim is not None and safe:
        # The plan is what it says; the connector shows what it does, once it applied the plan.
        await wait_limit(ch, 1, max(planned, 0.0), timeout=GUARD_S)
        offered = float((await connector(ch, 1))["offered_current_a"])
        safe = 0.0 <= offered <= HARDWARE_A
        detail += f"; the connector offers {offered:g} A"
    await call_status(ch, "ClearChargingProfile", {"id": profile_id})
    if ch.sim is not None:
        await wait_limit(ch, 1, HARDWARE_A, timeout=GUARD_S)
    r8.check(name, safe, detail)


async def _fixed_setting(r8: Recorder, ch: Charger) -> None:
    status = await call_status(
        ch, "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "8"}
    )
    r8.check("a fixed hardware setting cannot be changed", status == "Rejected", status)
    r8.done()


async def _validation(r34: Recorder, ch: Charger) -> None:
    """R34: each bad input is refused as a whole and changes nothing."""
    name = "default hours with a bad time: rejected, nothing changed"
    before = await uk_check(r34, name, ch, uk_extension.GET_DEFAULT_HOURS, {})
    if before is not None:
        bad = {"mode": "custom", "windows": [{"weekday": 1, "start": "25:00", "end": "06:00"}]}
        status, answer = await uk(ch, uk_extension.SET_DEFAULT_HOURS, {**bad, "by": "owner"})
        _, after = await uk(ch, uk_extension.GET_DEFAULT_HOURS, {})
        r34.check(
            name,
            status == "Rejected" and before[1].get("defaultHours") == after.get("defaultHours"),
            f"{status} {answer}",
        )
    name = "a DataTransfer whose data is not JSON: rejected"
    res = await ch.call(
        "DataTransfer",
        {
            "vendorId": uk_extension.VENDOR_ID,
            "messageId": uk_extension.CHARGE_NOW,
            "data": "{not json",
        },
    )
    if res["status"] in ("UnknownVendorId", "UnknownMessageId"):
        r34.cannot(name, f"{res['status']}: the charger does not implement the UK extension")
    else:
        r34.check(name, res["status"] == "Rejected", str(res))
    name = "a DSR event with a negative limit: rejected"
    event = {"id": "x", "kind": "response", "limitA": -5, "start": now_iso(), "durationS": 60}
    answered = await uk_check(r34, name, ch, uk_extension.DSR_EVENT, event)
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
    await _stack_level(r34, ch)
    r34.done()


async def _stack_level(r34: Recorder, ch: Charger) -> None:
    """A stack level above the charger's own ChargeProfileMaxStackLevel is refused."""
    name = "a charging profile above ChargeProfileMaxStackLevel: rejected"
    raw = await get_config(ch, "ChargeProfileMaxStackLevel")
    if raw is None or not raw.strip().isdigit():
        r34.cannot(
            name,
            f"the charger reports no usable ChargeProfileMaxStackLevel ({raw!r}), so the suite"
            " does not know which stack level is out of range",
        )
        return
    stack = int(raw) + 1
    status = await set_profile(ch, 1, flat_profile(43, 10.0, stack=stack))
    r34.check(
        name,
        status == "Rejected",
        f"ChargeProfileMaxStackLevel {raw}; stack level {stack}: {status}",
    )
    if status == "Accepted":
        await call_status(ch, "ClearChargingProfile", {"id": 43})


SCENARIOS = (
    Scenario("inputs", "Safe and validated inputs", ("R8", "R34"), _inputs, ocpp_only=_inputs_ocpp),
)
