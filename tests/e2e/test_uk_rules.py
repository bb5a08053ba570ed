"""The UK rules in the whole charge point, on a manual clock (`make_cp(manual=True)`: time moves
only as the test waits, and every CALL is answered before a verdict), against the `ocpp`
package's central system: default hours (R14, R17), charge now (R18), the random delay and its
exceptions (R24-R26), DSR (R4), load balancing. Whole days with no network (R7) run on the station
harness (test_uk_day.py), the same day through the real device drivers too.

Times: Monday 1 June 2026 is in BST (UTC+1), so 16:00Z is 17:00 UK time (peak).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import orjson
from cp_harness import MakeCP, Running
from ocpp.v16 import call

from smartcharge.ocpp import uk_extension

MONDAY_17_00_UK = "2026-06-01T16:00:00+00:00"
SATURDAY_NOON_UK = "2026-06-06T11:00:00+00:00"


async def uk(cp: Running, message: str, data: dict[str, object]) -> tuple[str, dict[str, object]]:
    res = await cp.call(
        call.DataTransfer(
            vendor_id=uk_extension.VENDOR_ID, message_id=message, data=orjson.dumps(data).decode()
        )
    )
    return res.status, orjson.loads(res.data) if res.data else {}


async def start_session(cp: Running, n: int = 1, battery_kwh: float = 200.0) -> None:
    cp.hw.plug(n, battery_kwh=battery_kwh, soc=10.0, max_power_w=11000.0)
    res = await cp.call(call.RemoteStartTransaction(id_tag=f"UK{n}", connector_id=n))
    assert res.status == "Accepted"
    await cp.until(lambda: cp.state(n)["transaction_id"] is not None)


def absolute_profile(
    profile_id: int, stack: int, purpose: str, limit_a: float
) -> dict[str, object]:
    """A flat charging profile in amps, from before the tests' dates (ocpp package field names)."""
    return {
        "charging_profile_id": profile_id,
        "stack_level": stack,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": {
            "start_schedule": "2026-06-01T00:00:00Z",
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": limit_a}],
        },
    }


async def charging_at_32a(
    make_cp: MakeCP, start: str = SATURDAY_NOON_UK, **charging: object
) -> Running:
    """A car charging at 32 A on connector 1 (started with no delay), on a manual clock."""
    cp = await make_cp(
        manual=True,
        simulator={"start_time": start},
        charging={"random_delay_max_s": 0, **charging},
    )
    await cp.until_status(1, "Available")
    await start_session(cp)
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0)
    return cp


async def charging_on_saturday_then_delay_1800(make_cp: MakeCP) -> Running:
    """A car charging at 32 A on a Saturday (started with no delay), then the delay maximum at
    1800 s, so every later relevant time is visibly delayed."""
    cp = await charging_at_32a(make_cp)
    await cp.call(call.ChangeConfiguration(key="RandomisedDelayMaxSeconds", value="1800"))
    return cp


def changes(cp: Running, n: int = 1) -> list[tuple[datetime, float, str]]:
    st = cp.app.station
    assert st is not None
    local = st.connectors[n].tx_local_id
    assert local is not None
    return st.store.rate_changes(local)


async def test_R18_charge_now_starts_at_once(make_cp: MakeCP) -> None:
    cp = await make_cp(
        manual=True,
        simulator={"start_time": MONDAY_17_00_UK},
        charging={"random_delay_max_s": 1800},
    )
    await cp.until_status(1, "Available")
    await start_session(cp)
    await cp.until(lambda: cp.state(1)["limit_cause"] == "default_hours")
    status, _ = await uk(cp, uk_extension.CHARGE_NOW, {"connectorId": 1})
    assert status == "Accepted"
    # No delay (an owner override, R26): the limit rises within three simulated seconds.
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0, timeout=3)
    assert cp.state(1)["limit_cause"] == "owner_override"
    assert cp.state(1)["random_delay_remaining_s"] == 0


async def test_R26_response_dsr_at_once_scheduled_dsr_delayed(make_cp: MakeCP) -> None:
    cp = await charging_on_saturday_then_delay_1800(make_cp)
    now = cp.app.clock.now()
    status, _ = await uk(
        cp,
        uk_extension.DSR_EVENT,
        {"id": "fr-1", "kind": "response", "limitA": 6, "start": now.isoformat(), "durationS": 600},
    )
    assert status == "Accepted"
    await cp.until(lambda: cp.state(1)["limit_a"] == 6.0, timeout=3)
    assert cp.state(1)["limit_cause"] == "dsr"
    # The owner opts out (R19): back up, and that rise is a relevant time (delayed).
    assert (await uk(cp, uk_extension.DSR_OPT_OUT, {"id": "fr-1"}))[0] == "Accepted"
    await cp.until(lambda: cp.state(1)["random_delay_remaining_s"] > 0, timeout=3)
    assert cp.state(1)["limit_a"] == 6.0  # the previous rate is held during the delay (R24)
    await uk(cp, uk_extension.SKIP_DELAY, {"connectorId": 1})
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0, timeout=3)
    # A scheduled DSR event is a relevant time like any other: delayed.
    now = cp.app.clock.now()
    await uk(
        cp,
        uk_extension.DSR_EVENT,
        {
            "id": "sched-1",
            "kind": "scheduled",
            "limitA": 10,
            "start": now.isoformat(),
            "durationS": 3600,
        },
    )
    await cp.until(lambda: cp.state(1)["random_delay_remaining_s"] > 0, timeout=3)
    assert cp.state(1)["limit_a"] == 32.0


async def test_R26_tariff_change_is_delayed(make_cp: MakeCP) -> None:
    cp = await charging_on_saturday_then_delay_1800(make_cp)
    assert (await uk(cp, uk_extension.PROFILE_FLAGS, {"chargingProfileId": 5, "cause": "tariff"}))[
        0
    ] == "Accepted"
    profile = absolute_profile(5, 1, "TxDefaultProfile", 10.0)
    res = await cp.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile))
    assert res.status == "Accepted"
    await cp.until(lambda: cp.state(1)["random_delay_remaining_s"] > 0, timeout=3)
    assert cp.state(1)["limit_a"] == 32.0
    res2 = await cp.call(call.GetCompositeSchedule(connector_id=1, duration=3600))
    assert res2.status == "Accepted"
    assert res2.charging_schedule["charging_schedule_period"][0]["limit"] == 10.0


async def test_charge_point_max_profile_32a_shared_by_two_cars(make_cp: MakeCP) -> None:
    cp = await make_cp(
        manual=True,
        simulator={"start_time": SATURDAY_NOON_UK},
        charging={"random_delay_max_s": 0},
    )
    await cp.until_status(1, "Available")
    await start_session(cp, 1)
    await start_session(cp, 2)
    profile = absolute_profile(1, 0, "ChargePointMaxProfile", 32.0)
    res = await cp.call(call.SetChargingProfile(connector_id=0, cs_charging_profiles=profile))
    assert res.status == "Accepted"
    await cp.until(lambda: cp.state(1)["limit_a"] == 16.0 and cp.state(2)["limit_a"] == 16.0)
    assert cp.state(1)["limit_cause"] == "load_balancing"
    total = sum(c["offered_current_a"] for c in cp.hw.snapshot()["connectors"].values())
    assert total <= 32.0
    # Cleared: both back to the hardware limit (an increase: with delay max 0, at once).
    assert (await cp.call(call.ClearChargingProfile(id=1))).status == "Accepted"
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0 and cp.state(2)["limit_a"] == 32.0)


async def test_R24_power_restored_with_a_car_connected_resumes_after_the_delay(
    make_cp: MakeCP,
) -> None:
    cp = await charging_on_saturday_then_delay_1800(make_cp)
    first_tx = cp.state(1)["transaction_id"]
    # The power goes: the software dies with the session open (no StopTransaction, no shutdown).
    cp.task.cancel()
    await asyncio.gather(cp.task, return_exceptions=True)

    def car_still_plugged(app: Any) -> None:
        app.hardware.plug(1, battery_kwh=200.0, soc=20.0, max_power_w=11000.0)

    again = await make_cp(
        manual=True,
        prepare=car_still_plugged,
        simulator={"start_time": SATURDAY_NOON_UK},
        charging={"random_delay_max_s": 0},
    )
    # The old session ends as PowerLoss; a new one for the same card starts.
    await again.until(lambda: again.state(1)["transaction_id"] not in (None, first_tx))
    stops = again.peer.of("StopTransaction")
    assert [s.payload["reason"] for s in stops] == ["PowerLoss"]
    assert again.state(1)["id_tag"] == "UK1"
    # A relevant time (R24): the energy waits for the random delay (the persisted 1800 s max).
    await again.until(lambda: again.state(1)["random_delay_remaining_s"] > 0, timeout=5)
    assert again.state(1)["limit_a"] == 0.0
    assert again.state(1)["limit_reason"].startswith("power restored")
    status, _ = await uk(again, uk_extension.SKIP_DELAY, {"connectorId": 1})
    assert status == "Accepted"
    await again.until(lambda: again.state(1)["limit_a"] == 32.0, timeout=5)
    assert next(cause for _, a, cause in changes(again) if a > 0) == "power_restore"


async def test_owner_schedule_over_ocpp_narrows_charging(make_cp: MakeCP) -> None:
    cp = await charging_at_32a(make_cp)
    windows = [{"weekday": "Sat", "start": "15:00", "end": "17:00"}]
    status, data = await uk(cp, uk_extension.SET_USER_SCHEDULE, {"windows": windows, "limitA": 16})
    assert status == "Accepted" and data["userSchedule"]["limitA"] == 16
    await cp.until(lambda: cp.state(1)["limit_cause"] == "user_schedule", timeout=5)
    assert cp.state(1)["limit_a"] == 0.0
    assert "waiting for your schedule: charging starts at Sat 15:00" in cp.state(1)["limit_reason"]
    status, data = await uk(cp, uk_extension.GET_CHARGING_STATE, {})
    assert data["userSchedule"]["windows"] == windows
    # Charge now overrides the owner's own plan as it does the default hours (R18).
    assert (await uk(cp, uk_extension.CHARGE_NOW, {"connectorId": 1}))[0] == "Accepted"
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0, timeout=5)


async def test_R20_with_a_dsr_agreement_the_default_hours_do_not_apply(make_cp: MakeCP) -> None:
    agreement = {"provider": "Flex Co", "reference": "FC-2026-001"}
    # Peak time on a weekday, and still charging: R14-R18 do not apply under the agreement.
    cp = await charging_at_32a(make_cp, MONDAY_17_00_UK, dsr_agreement=agreement)
    assert cp.state(1)["limit_cause"] == "plug_in"
    _, data = await uk(cp, uk_extension.GET_DEFAULT_HOURS, {})
    hours = data["defaultHours"]
    assert hours["mode"] == "removed" and hours["dsrAgreement"]["reference"] == "FC-2026-001"


async def test_R17_R18_an_untrusted_clock_charges_only_on_charge_now_until_time_arrives(
    make_cp: MakeCP,
) -> None:
    """Booted with no real-time clock, no NTP and no time from the central system (its time is not
    taken on a simulated timeline): inside what the clock calls default hours both connectors
    wait, "charge now" charges connector 1, and once the time is known the default hours apply
    to connector 2 again."""
    from smartcharge.chargepoint.clock_trust import ClockTrust

    def untrusted(app: Any) -> None:
        app.trust = ClockTrust(always=False, synchronised=lambda: False)

    cp = await make_cp(manual=True, simulator={"start_time": SATURDAY_NOON_UK}, prepare=untrusted)
    await cp.until_status(2, "Available")
    await start_session(cp, 1)
    await start_session(cp, 2)
    for n in (1, 2):
        await cp.until(lambda n=n: cp.state(n)["limit_reason"] == "waiting for the clock to be set")
        assert cp.state(n)["limit_a"] == 0
    assert (await uk(cp, uk_extension.CHARGE_NOW, {"connectorId": 1}))[0] == "Accepted"
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0)
    assert cp.state(1)["limit_cause"] == "owner_override"
    assert cp.state(2)["limit_a"] == 0
    cp.app.trust.central_time_seen()  # what a plausible BootNotification/Heartbeat time does
    await cp.until(lambda: cp.state(2)["limit_a"] == 32.0)
    assert cp.state(2)["limit_cause"] == "default_hours"
