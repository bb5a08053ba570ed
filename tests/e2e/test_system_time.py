"""SettingSystemTime end to end: the `ocpp` package's central system tells a running charger
(simulated clock at real speed) another time; the charger adopts it, notifies it, keeps it across
a restart, and its default hours and a running randomised delay carry on correctly."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import orjson
from cp_harness import MakeCP, Running
from csms_peer import CentralSystemPeer
from ocpp.v16 import call

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.times import format_time

MONDAY_17_00_UK = "2026-06-01T16:00:00+00:00"  # peak: the default hours keep the car waiting


def time_events(cp: Running) -> list[str]:
    assert cp.app.security is not None
    return [e.tech_info for e in cp.app.security.log.entries() if e.event == "SettingSystemTime"]


async def tell_time(cp: Running, when: datetime) -> None:
    """The central system's clock now says `when` (and runs on); a triggered Heartbeat tells."""
    told = asyncio.get_running_loop().time()
    cp.peer.behaviour.current_time = lambda: format_time(
        when + timedelta(seconds=asyncio.get_running_loop().time() - told)
    )
    before = len(cp.peer.of("Heartbeat"))
    res = await cp.call(call.TriggerMessage(requested_message="Heartbeat"))
    assert res.status == "Accepted"
    await cp.until(lambda: len(cp.peer.of("Heartbeat")) > before)


async def charger(make_cp: MakeCP, peer: CentralSystemPeer) -> Running:
    def agree(app: ChargePointApp) -> None:  # at first the central system agrees with it
        peer.behaviour.current_time = lambda: format_time(app.clock.now())

    cp = await make_cp(
        identity="TIME1",
        speed=1.0,
        prepare=agree,
        clock={"sync_from_csms": True},
        simulator={"speed": 1.0, "start_time": MONDAY_17_00_UK},
        charging={"random_delay_max_s": 1800},
    )
    await cp.until_status(1, "Available")
    return cp


async def test_the_charger_takes_the_central_systems_time_and_its_rules_follow(
    make_cp: MakeCP, peer: CentralSystemPeer
) -> None:
    cp = await charger(make_cp, peer)
    assert time_events(cp) == []  # in agreement at boot: nothing to set
    cp.hw.plug(1, battery_kwh=200.0, soc=10.0, max_power_w=11000.0)
    res = await cp.call(call.RemoteStartTransaction(id_tag="T1", connector_id=1))
    assert res.status == "Accepted"
    await cp.until(lambda: cp.state(1)["limit_cause"] == "default_hours")
    assert cp.state(1)["limit_a"] == 0.0  # 17:00 on a Monday: peak hours

    # The central system says it is 23:00 UK time: off-peak. The charger adopts it at once...
    old = cp.app.clock.now()
    await tell_time(cp, datetime.fromisoformat("2026-06-01T22:00:00+00:00"))
    await cp.until(lambda: len(time_events(cp)) == 1)
    [told] = time_events(cp)
    assert told.startswith(format_time(old)[:16]) and "-> 2026-06-01T22:00:0" in told
    assert (
        abs(
            (
                cp.app.clock.now() - datetime.fromisoformat("2026-06-01T22:00:00+00:00")
            ).total_seconds()
        )
        < 3
    )
    await cp.peer.wait_for(lambda: "SettingSystemTime" in cp.peer.security_events())
    [note] = [
        r
        for r in cp.peer.of("SecurityEventNotification")
        if r.payload["type"] == "SettingSystemTime"
    ]
    assert note.payload["tech_info"] == told
    # ... and its default hours now allow charging: a relevant time, so a random delay runs.
    await cp.until(lambda: cp.state(1)["random_delay_remaining_s"] > 5)
    remaining = cp.state(1)["random_delay_remaining_s"]
    assert cp.state(1)["limit_a"] == 0.0

    # Another correction (+10 min) while the delay runs: the delay is neither reset nor moved.
    await cp.until(lambda: cp.state(1)["random_delay_remaining_s"] <= remaining - 2)
    await tell_time(cp, cp.app.clock.now() + timedelta(minutes=10))
    await cp.until(lambda: len(time_events(cp)) == 2)
    left = cp.state(1)["random_delay_remaining_s"]
    assert remaining - 30 <= left <= remaining - 1  # ran on (2 s and more), no new draw, no jump
    await cp.call(
        call.DataTransfer(
            vendor_id=uk_extension.VENDOR_ID,
            message_id=uk_extension.SKIP_DELAY,
            data=orjson.dumps({"connectorId": 1}).decode(),
        )
    )
    await cp.until(lambda: cp.state(1)["limit_a"] == 32.0, timeout=5)
    assert cp.state(1)["limit_cause"] == "default_hours"

    # A restart: the device clock starts again at 17:00, the correction is applied again.
    adjusted = cp.app.clock.now()
    cp.task.cancel()
    await asyncio.gather(cp.task, return_exceptions=True)
    again = await charger(make_cp, peer)
    assert abs((again.app.clock.now() - adjusted).total_seconds()) < 10
    assert len(time_events(again)) == 2  # the same log, no new setting
