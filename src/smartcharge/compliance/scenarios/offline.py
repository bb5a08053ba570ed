"""Loss of network (reg 7): R7, and supplier/platform change (reg 6): R6.

R7: the network cable is pulled; a card on the local authorisation list starts a session; the
car charges; when the network comes back the queued StartTransaction, MeterValues and
StopTransaction arrive, with the times they happened.

R6: the owner points the charger at another central system (a second one the suite runs); it
connects there, smart charging works there, and the owner's settings are kept.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Scenario,
    ScenarioAborted,
    call_status,
    connector,
    flat_profile,
    set_profile,
    start_session,
    uk,
    until,
    wait_limit,
)
from smartcharge.compliance.target import ChargerSpec
from smartcharge.ocpp import uk_extension

CARD = "OFFLINE-CARD-1"
DELIVERY_WAIT_S = 60.0  # ends as soon as the queued session arrives


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
        await until("charging while offline", charging, 30)
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
    before = len(ch.csms.received(ch.identity, "StartTransaction"))
    await ch.sim.network(True)
    delivered = await ch.csms.wait_for(
        lambda: (
            len(ch.csms.received(ch.identity, "StopTransaction")) >= 1
            and len(ch.csms.received(ch.identity, "StartTransaction")) > before - 1
        ),
        DELIVERY_WAIT_S,
    )
    starts = [m.payload for m in ch.csms.received(ch.identity, "StartTransaction")]
    stops = [m.payload for m in ch.csms.received(ch.identity, "StopTransaction")]
    values = ch.csms.received(ch.identity, "MeterValues")
    ok = delivered and any(s.get("idTag") == CARD for s in starts) and bool(stops)
    wh = int(stops[-1]["meterStop"]) - int(starts[-1]["meterStart"]) if ok else 0
    name = "back online: the offline session is delivered with its measurements"
    if not delivered:
        r7.cannot(
            name, f"StartTransaction/StopTransaction not delivered in {DELIVERY_WAIT_S:.0f} s"
        )
        r7.done()
        return
    r7.check(
        name,
        ok and wh > 0,
        f"StartTransaction for {CARD}: {any(s.get('idTag') == CARD for s in starts)};"
        f" StopTransaction: {len(stops)}; {wh} Wh; {len(values)} MeterValues",
    )
    r7.done()


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
    r6.check(
        "the owner's settings are kept",
        status == "Accepted" and answered is not None and kept == answered,
        f"default hours answered at {answered!r} before, {kept!r} after",
    )
    try:
        await start_session(ch, 1)
        await wait_limit(ch, 1, 32.0)
        status = await set_profile(ch, 1, flat_profile(61, 12.0))
        await wait_limit(ch, 1, 12.0)
        r6.check("smart charging works with the new central system", status == "Accepted", status)
    except ScenarioAborted as exc:
        r6.check("smart charging works with the new central system", False, str(exc))
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
