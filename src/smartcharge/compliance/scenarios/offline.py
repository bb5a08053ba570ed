"""Loss of network (reg 7): R7, and supplier/platform change (reg 6): R6.

R7: the network cable is pulled; a card on the local authorisation list starts a session; the
car charges; when the network comes back the queued StartTransaction, MeterValues and
StopTransaction arrive, with the times they happened, before those of a session made after
the link came back (so a charger that lost them is caught, not waited for).

R6: the owner points the charger at another central system (a second one the suite runs); it
connects there, smart charging works there, and the owner's settings are kept.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.scenarios.base import (
    GUARD_S,
    SATURDAY_NOON_UK,
    Context,
    Scenario,
    ScenarioAborted,
    call_status,
    connector,
    flat_profile,
    set_profile,
    start_session,
    stop_session,
    uk,
    until,
    wait_limit,
)
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension

CARD = "OFFLINE-CARD-1"
LATER_TAG = "ONLINE-AFTER"  # the session made on connector 2 once the link is back
DELIVERY_WAIT_S = 60.0  # a guard: ends as soon as the session after reconnection arrives


async def _offline(ctx: Context) -> None:
    r7 = ctx.rec("R7")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    assert ch.sim is not None
    status = await call_status(
        ch,
        "SendLocalList",
        {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": CARD, "idTagInfo": {"status": "Accepted"}}],
        },
    )
    r7.check("the local authorisation list is accepted", status == "Accepted", status)
    await ch.sim.network(False)
    await ch.csms.wait_for(lambda: ch.identity not in ch.csms.links, 10)
    went_down = datetime.now().astimezone()
    await ch.sim.plug(1)
    await ch.sim.present_card(CARD)

    async def charging() -> bool:
        c = await connector(ch, 1)
        return bool(c.get("contactor_closed")) and float(c.get("true_power_w") or 0) > 0

    try:
        await until("charging while offline", charging, GUARD_S)
        await asyncio.sleep(ch.real_seconds(30))
        c = await connector(ch, 1)
        r7.check(
            "offline: a local-list card starts charging",
            ch.identity not in ch.csms.links and float(c["true_energy_wh"]) > 0,
            f"charging {float(c['true_power_w']):.0f} W with no network; the suite's central"
            f" system saw no connection since {went_down:%H:%M:%S}",
        )
    except ScenarioAborted as exc:
        r7.cannot("offline: a local-list card starts charging", str(exc))
    await ch.sim.present_card(CARD)  # the same card stops the session, still offline
    await asyncio.sleep(0.5)
    await ch.sim.network(True)
    name = "back online: the offline session is delivered with its measurements"
    # A session made once the link is back queues behind the offline one (a charger delivers
    # its transaction messages in the order it made them, OCPP 1.6 section 4.7): once the later
    # session's StartTransaction is in, an offline session not delivered before it was lost.
    try:
        if not await ch.csms.wait_connected(ch.identity, DELIVERY_WAIT_S):
            raise ScenarioAborted(f"no connection in {DELIVERY_WAIT_S:.0f} s after the network")
        await start_session(ch, 2, LATER_TAG)
        await stop_session(ch, 2)
    except ScenarioAborted as exc:
        r7.cannot(name, f"a session after reconnection: {exc}")
        r7.done()
        return
    if not await ch.csms.wait_for(lambda: _later_start(ch) is not None, DELIVERY_WAIT_S):
        r7.cannot(name, "the session started after reconnection was never delivered either")
        r7.done()
        return
    r7.check(name, *_delivered_before(ch, _later_start(ch) or 0))
    r7.done()


def _later_start(ch: Charger) -> int | None:
    """Where the session made after reconnection began, among the charger's messages."""
    inbound = ch.csms.inbound.get(ch.identity, [])
    for i, m in enumerate(inbound):
        if m.action == "StartTransaction" and m.payload.get("idTag") == LATER_TAG:
            return i
    return None


def _delivered_before(ch: Charger, later: int) -> tuple[bool, str]:
    """Whether the offline session (its start, measurements and stop) came before the message
    `later`, with what came."""
    inbound = ch.csms.inbound.get(ch.identity, [])
    starts = [i for i, m in enumerate(inbound) if m.action == "StartTransaction"]
    given = dict(zip(starts, ch.csms.transactions.get(ch.identity, []), strict=False))
    card = [i for i in starts if i < later and inbound[i].payload.get("idTag") == CARD]
    if not card:
        return False, (
            f"lost: the session made after reconnection ({LATER_TAG}) was delivered, the"
            f" offline session ({CARD}) never before it"
        )
    tx = given.get(card[-1])
    sent = [m for m in inbound[:later] if m.payload.get("transactionId") == tx]
    stop = next((m.payload for m in sent if m.action == "StopTransaction"), None)
    if stop is None:
        return False, f"lost: StartTransaction for {CARD} but no StopTransaction before {LATER_TAG}"
    wh = int(stop["meterStop"]) - int(inbound[card[-1]].payload["meterStart"])
    values = sum(m.action == "MeterValues" for m in sent)
    return wh > 0, (
        f"StartTransaction for {CARD}, {values} MeterValues and its StopTransaction ({wh} Wh)"
        " delivered before the session made after reconnection"
    )


async def _supplier_switch(ctx: Context) -> None:
    r6 = ctx.rec("R6")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    status, _ = await uk(ch, uk_extension.SET_DEFAULT_HOURS, {"mode": "default", "by": "owner"})
    _, before = await uk(ch, uk_extension.GET_DEFAULT_HOURS, {})
    answered = (before.get("defaultHours") or {}).get("answeredAt")
    other = CentralSystem()
    await other.start()
    ctx.extra_csms.append(other)
    await ctx.target.restart(ch, other, csms_url=other.url)
    r6.check(
        "the owner points the charger at another central system; it connects there",
        ch.identity in other.links and bool(other.received(ch.identity, "BootNotification")),
        f"BootNotification at {other.url}",
    )
    _, after = await uk(ch, uk_extension.GET_DEFAULT_HOURS, {})
    kept = (after.get("defaultHours") or {}).get("answeredAt")
    name = "the owner's settings are kept"
    if status == "Accepted" and answered is None:
        # The answer itself was not recorded (R15's business): no setting to see kept or lost.
        r6.cannot(
            name, "the owner's answer to the default hours was not recorded before the switch"
        )
    else:
        r6.check(
            name,
            status == "Accepted" and answered is not None and kept == answered,
            f"default hours answered at {answered!r} before, {kept!r} after",
        )
    name = "smart charging works with the new central system"
    try:
        await start_session(ch, 1)
        await wait_limit(ch, 1, 32.0)
        status = await set_profile(ch, 1, flat_profile(61, 12.0))
        if status != "Accepted":
            r6.check(name, False, f"SetChargingProfile 12 A there: {status}")
        else:
            await wait_limit(ch, 1, 12.0)
            r6.check(name, True, "SetChargingProfile 12 A there: Accepted; 12 A offered")
    except ScenarioAborted as exc:
        # A rate not reached within the wait shows nothing the charger did: no verdict.
        r6.cannot(name, str(exc))
    r6.done()


SCENARIOS = (
    Scenario(
        "offline",
        "Charging with no network",
        ("R7",),
        _offline,
        physical="the network cable is pulled and a card presented while a car is plugged in",
    ),
    Scenario(
        "supplier_switch",
        "Changing the central system",
        ("R6",),
        _supplier_switch,
        physical="the owner points the charger at a second central system through its own"
        " settings and restarts it; do that by hand and watch it connect there",
    ),
)
