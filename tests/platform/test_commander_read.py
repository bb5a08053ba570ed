"""A page's read of the charger's own state goes through the `Commander` (`read`), over a real
websocket: the decoded answer when the charger accepts, None when it cannot say (offline,
refused, not JSON), and never a row in the command log (a page asks every few seconds)."""

from __future__ import annotations

import json
from typing import Any

from api_harness import answering_charger
from platform_harness import Platform

from smartcharge.ocpp import uk_extension


async def test_a_read_is_answered_or_none_and_never_logged(platform: Platform) -> None:
    await platform.add("CP-R")
    charger_id = await platform.charger_id("CP-R")
    commander = platform.app.commander
    assert (
        await commander.read("CP-R", uk_extension.GET_CHARGING_STATE, timeout=5) is None
    )  # offline
    answers = iter(
        [
            {"status": "Accepted", "data": json.dumps({"connectors": {"1": {"limit_a": 16}}})},
            {"status": "UnknownMessageId"},
            {"status": "Accepted", "data": "not json"},
        ]
    )
    seen: list[Any] = []

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        seen.append((payload["vendorId"], payload["messageId"], payload["data"]))
        return next(answers)

    async with answering_charger(platform, "CP-R") as charger:
        charger.route("DataTransfer", answer, raw=True)
        first = await commander.read("CP-R", uk_extension.GET_CHARGING_STATE, timeout=5)
        refused = await commander.read("CP-R", uk_extension.GET_CHARGING_STATE, timeout=5)
        garbled = await commander.read("CP-R", uk_extension.GET_CHARGING_STATE, timeout=5)
    assert first == {"connectors": {"1": {"limit_a": 16}}}
    assert refused is None and garbled is None
    assert seen == [(uk_extension.VENDOR_ID, uk_extension.GET_CHARGING_STATE, "{}")] * 3
    assert await platform.store.history.commands(charger_id) == []
