"""The privacy service's "delete my data" asks each of the owner's chargers to wipe itself
(R35): what it does with a charger that is not ours (no UK extensions, or no DataTransfer at
all) and with one that is offline, over a real websocket with our RPC layer as the charger."""

from __future__ import annotations

from typing import Any

from api_harness import answering_charger
from platform_harness import Platform

from smartcharge.ocpp.errors import NotImplementedAction
from smartcharge.platform.services.charger_wipe import wipe_chargers


async def test_other_chargers_forget_their_cards_and_offline_ones_are_named(
    platform: Platform,
) -> None:
    for identity in ("OTHER-1", "OTHER-2", "OFF-1"):
        await platform.add(identity, owner="o@example.org")
    owned = [(i, await platform.charger_id(i)) for i in ("OTHER-1", "OTHER-2", "OFF-1")]
    found = await platform.store.accounts.login_record("o@example.org")
    assert found is not None
    owner_id = found[0].id
    seen: list[tuple[str, str]] = []

    def unknown_vendor(_p: Any) -> dict[str, Any]:
        seen.append(("OTHER-1", "DataTransfer"))
        return {"status": "UnknownVendorId"}

    def no_data_transfer(_p: Any) -> dict[str, Any]:
        seen.append(("OTHER-2", "DataTransfer"))
        raise NotImplementedAction("DataTransfer")

    async with (
        answering_charger(platform, "OTHER-1") as one,
        answering_charger(platform, "OTHER-2") as two,
    ):
        one.route("DataTransfer", unknown_vendor, raw=True)
        two.route("DataTransfer", no_data_transfer, raw=True)
        for name, ep in (("OTHER-1", one), ("OTHER-2", two)):
            for action in ("SendLocalList", "ClearCache"):
                ep.route(
                    action,
                    lambda _p, n=name, a=action: seen.append((n, a)) or {"status": "Accepted"},
                    raw=True,
                )
        answers = await wipe_chargers(
            platform.app.api_context, owned, owner_id, frozenset({"GONE"})
        )
    assert [(a.identity, a.outcome, a.wiped) for a in answers] == [
        ("OTHER-1", "forgot_cards", False),
        ("OTHER-2", "forgot_cards", False),
        ("OFF-1", "offline", False),
    ]
    assert seen == [
        (name, action)
        for name in ("OTHER-1", "OTHER-2")
        for action in ("DataTransfer", "SendLocalList", "ClearCache")
    ]
    assert "(SendLocalList Accepted, ClearCache Accepted)" in answers[0].said
    assert all(a.retry and a.after for a in answers)  # each says what the owner can do
    again = await wipe_chargers(platform.app.api_context, owned[2:], owner_id, frozenset({"OFF-1"}))
    assert [(a.outcome, a.retry) for a in again] == [("wiped", "")]  # not asked twice
