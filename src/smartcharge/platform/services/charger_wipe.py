"""Telling the owner's chargers to wipe their own personal data (issue 6 item 8, R35) when the
owner deletes theirs: the UK extension FactoryReset (docs/ocpp-extensions.md) to each charger,
and what each answered, in the owner's words, with what to do when it could not.

A charger that knows nothing of the UK extensions (another make) is told what OCPP 1.6 can
say instead: forget the cards it keeps (SendLocalList Full and empty, ClearCache).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartcharge.ocpp import uk_extension
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services.context import ServiceContext

ON_THE_CHARGER = (  # its owner API's factory reset (docs/owner-api.md), or the installer's
    "use the factory reset on the charger itself (its own app on your home network, with your"
    " charger password)"
)


@dataclass(frozen=True)
class WipeAnswer:
    """One charger's answer. `retry`: what to do to try again with the account still here;
    `after`: what to do about this charger once the account is gone."""

    identity: str
    outcome: str  # wiped, charging, offline, no_answer, refused, forgot_cards
    said: str
    retry: str = ""
    after: str = ""

    @property
    def wiped(self) -> bool:
        return self.outcome == "wiped"


WIPED = "wiped its sessions, cards and settings, and is restarting"


async def wipe_chargers(
    ctx: ServiceContext, chargers: list[tuple[str, int]], user_id: int, done: frozenset[str]
) -> list[WipeAnswer]:
    """Ask each charger in turn; those in `done` (wiped a moment ago) are not asked again."""
    out = []
    for identity, charger_id in chargers:
        if identity in done:
            out.append(WipeAnswer(identity, "wiped", "wiped its data when you asked a moment ago"))
        else:
            out.append(await _wipe(ctx, identity, charger_id, user_id))
    return out


async def _wipe(ctx: ServiceContext, identity: str, charger_id: int, user_id: int) -> WipeAnswer:
    try:
        answer = await ctx.commander.uk(
            identity, charger_id, uk_extension.FACTORY_RESET, {"by": "owner"}, user_id=user_id
        )
    except CommandFailed as exc:
        if exc.outcome == "offline":
            return WipeAnswer(
                identity,
                "offline",
                "is offline, so it could not be asked",
                "Delete again once it is back online (its page says Online).",
                f"It still holds its sessions and cards: when it is back, {ON_THE_CHARGER}.",
            )
        if exc.outcome == "call_error":  # it does not take DataTransfer at all
            return await _forget_cards(ctx, identity, charger_id, user_id)
        return WipeAnswer(
            identity,
            "no_answer",
            "did not answer in time",
            "Try again in a minute.",
            f"It may still hold its sessions and cards: {ON_THE_CHARGER}.",
        )
    status = answer.get("status")
    data: dict[str, Any] = answer["data"] if isinstance(answer.get("data"), dict) else {}
    if status == "Accepted":
        return WipeAnswer(identity, "wiped", WIPED)
    if status in ("UnknownVendorId", "UnknownMessageId"):
        return await _forget_cards(ctx, identity, charger_id, user_id)
    if data.get("reason") == "SessionRunning":
        return WipeAnswer(
            identity,
            "charging",
            "refused because it is charging (a charger never wipes itself during a session)",
            "Stop the session on its page, then delete again.",
            f"It keeps its sessions and cards: once the car has finished, {ON_THE_CHARGER}.",
        )
    reason = str(data.get("error") or "no reason given")[:200]
    return WipeAnswer(
        identity,
        "refused",
        f"refused: {reason}",
        f"For its own data, {ON_THE_CHARGER}.",
        f"It keeps its sessions and cards: {ON_THE_CHARGER}.",
    )


async def _forget_cards(
    ctx: ServiceContext, identity: str, charger_id: int, user_id: int
) -> WipeAnswer:
    """OCPP 1.6's best for a charger without the extension: empty its list of cards and cache."""
    version = int(ctx.now().timestamp()) % 2**31  # a new full list: newer than any before
    said = []
    for action, payload in (
        ("SendLocalList", {"listVersion": version, "updateType": "Full"}),
        ("ClearCache", {}),
    ):
        try:
            answer = await ctx.commander.send(
                identity, charger_id, action, payload, user_id=user_id
            )
            said.append(f"{action} {answer.get('status')}")
        except CommandFailed as exc:
            said.append(f"{action} {exc.outcome}")
    return WipeAnswer(
        identity,
        "forgot_cards",
        f"cannot wipe itself remotely; it was told to forget its cards ({', '.join(said)})",
        f"For its session history, {ON_THE_CHARGER}.",
        f"For its session history, {ON_THE_CHARGER}.",
    )
