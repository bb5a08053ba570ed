"""Cards (RFID id tags): owners add, name, block and remove their own; an operator manages
everyone's, with an expiry date and a parent id tag (a group of cards that may stop each
other's sessions). Every change is brought to the chargers it concerns
(`services.local_lists`): their local lists, and the caches of those that may hold a card since
blocked or removed. Authorize and StartTransaction are answered from the same rows
(`store.id_tags`), so a blocked card is refused online at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartcharge.platform.services.access import Caller, ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Conflict, Invalid, NotAllowed, NotFound
from smartcharge.platform.services.owner_controls import REMOTE_TAG_PREFIX
from smartcharge.platform.store.cards import CardExists

ID_TAG = re.compile(r"[\x21-\x7e]{1,20}")
"""OCPP's idToken (CiString20): printable ASCII without spaces, as readers report card UIDs."""
MAX_NAME = 50
CARD_ROLES = ("owner", "workplace_admin", "workplace_user", "operator")
"""Who may have cards of their own (an aggregator charges nowhere)."""


@dataclass(frozen=True, slots=True)
class Card:
    id_tag: str
    name: str | None
    status: str  # Accepted, Blocked, Expired (Accepted past its expiry date)
    blocked: bool
    expiry_date: datetime | None
    parent_id_tag: str | None
    owner: str | None  # the owner's e-mail address
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CardChange:
    """What a caller asks to change; None: leave as it is. `clear_expiry` / `clear_parent`
    remove them (an operator's)."""

    name: str | None = None
    blocked: bool | None = None
    expiry_date: datetime | None = None
    clear_expiry: bool = False
    parent_id_tag: str | None = None
    clear_parent: bool = False
    owner: str | None = None  # an operator gives a card to someone (e-mail address)


URL_SIGNS = frozenset("/?#%\\")
"""Signs a card's id may not hold: it is a path segment of the API's and the pages' addresses."""


def check_id_tag(id_tag: str) -> str:
    if not ID_TAG.fullmatch(id_tag) or URL_SIGNS.intersection(id_tag):
        raise Invalid(
            "a card's id is 1 to 20 letters, digits or signs, without spaces or / ? # % \\"
        )
    if id_tag.upper().startswith(REMOTE_TAG_PREFIX):
        raise Invalid(f"ids starting with {REMOTE_TAG_PREFIX} are the platform's own")
    return id_tag


def check_name(name: str) -> str | None:
    name = name.strip()
    if len(name) > MAX_NAME or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise Invalid(f"a card's name is at most {MAX_NAME} characters on one line")
    return name or None


def _card(row: Any, now: datetime) -> Card:
    expired = row["expiry_date"] is not None and row["expiry_date"] <= now
    status = "Expired" if row["status"] == "Accepted" and expired else str(row["status"])
    return Card(
        id_tag=row["id_tag"],
        name=row["name"],
        status=status,
        blocked=row["status"] == "Blocked",
        expiry_date=row["expiry_date"],
        parent_id_tag=row["parent_id_tag"],
        owner=row["owner"],
        created_at=row["created_at"],
    )


def _require_card_holder(who: Caller) -> None:
    if who.role not in CARD_ROLES:
        raise NotAllowed("this account cannot have cards")


async def list_cards(ctx: ServiceContext, who: Caller) -> list[Card]:
    """The caller's own cards; an operator's: everyone's."""
    _require_card_holder(who)
    rows = await ctx.store.cards.listed(
        owner_id=who.account.id,
        everyone=who.role == "operator",
        exclude_prefix=REMOTE_TAG_PREFIX,
    )
    return [_card(r, ctx.now()) for r in rows]


async def get_card(ctx: ServiceContext, who: Caller, id_tag: str) -> Card:
    """A card the caller may see (their own; an operator: any), else `NotFound`."""
    _require_card_holder(who)
    row = await ctx.store.cards.get(id_tag)
    if row is None or row["id_tag"].upper().startswith(REMOTE_TAG_PREFIX):
        raise NotFound(f"no card {id_tag}")
    if who.role != "operator" and row["owner_id"] != who.account.id:
        raise NotFound(f"no card {id_tag}")
    return _card(row, ctx.now())


async def add_card(
    ctx: ServiceContext,
    who: Caller,
    id_tag: str,
    *,
    name: str = "",
    change: CardChange | None = None,
) -> Card:
    """Register a card: an owner's for themselves (Accepted, no expiry, no parent); an operator
    may give it an owner (`change.owner`), an expiry date, a parent id tag, or add it blocked."""
    _require_card_holder(who)
    check_id_tag(id_tag)
    change = change or CardChange()
    values: dict[str, Any] = {"name": check_name(name), "status": "Accepted"}
    values["owner_id"] = who.account.id
    values.update(await _operator_values(ctx, who, change))
    if change.blocked:
        values["status"] = "Blocked"
    try:
        await ctx.store.cards.add(id_tag, at=ctx.now(), **values)
    except CardExists:
        # Whose it is is not the caller's business.
        raise Conflict(f"card {id_tag} is already registered") from None
    await ctx.local_lists.changed(await ctx.store.cards.chargers_for_owner(values["owner_id"]))
    return await get_card(ctx, who, id_tag)


async def change_card(ctx: ServiceContext, who: Caller, id_tag: str, change: CardChange) -> Card:
    """Name, block or unblock a card (its owner or an operator); expiry, parent and owner are
    an operator's. The chargers it concerns are brought in step; blocking it also clears it
    from the caches of the chargers that may hold it."""
    before = await get_card(ctx, who, id_tag)
    values = await _operator_values(ctx, who, change)
    if change.name is not None:
        values["name"] = check_name(change.name)
    if change.blocked is not None:
        values["status"] = "Blocked" if change.blocked else "Accepted"
    if values:
        await ctx.store.cards.change(id_tag, **values)
    await _bring_to_chargers(ctx, id_tag, before, narrowed=_narrows(before, change))
    return await get_card(ctx, who, id_tag)


async def remove_card(ctx: ServiceContext, who: Caller, id_tag: str) -> None:
    """Forget a card: off every list, out of every cache that may hold it."""
    before = await get_card(ctx, who, id_tag)
    await ctx.store.cards.remove(id_tag)
    await _bring_to_chargers(ctx, id_tag, before, narrowed=True)


def _narrows(before: Card, change: CardChange) -> bool:
    """Whether the change can turn a Yes into a No at some charger (then caches must go)."""
    return bool(
        (change.blocked and not before.blocked)
        or (change.expiry_date is not None and change.expiry_date != before.expiry_date)
        or (change.owner is not None and change.owner != before.owner)
        or (change.parent_id_tag is not None or change.clear_parent)
    )


async def _operator_values(ctx: ServiceContext, who: Caller, change: CardChange) -> dict[str, Any]:
    values: dict[str, Any] = {}
    asked = (
        change.expiry_date is not None
        or change.clear_expiry
        or change.parent_id_tag is not None
        or change.clear_parent
        or change.owner is not None
    )
    if not asked:
        return values
    if who.role != "operator":
        raise NotAllowed("only an operator sets a card's expiry date, parent or owner")
    if change.expiry_date is not None or change.clear_expiry:
        values["expiry_date"] = None if change.clear_expiry else change.expiry_date
    if change.parent_id_tag is not None or change.clear_parent:
        values["parent_id_tag"] = (
            None if change.clear_parent else check_id_tag(change.parent_id_tag or "")
        )
    if change.owner is not None:
        owner_id = await ctx.store.cards.owner_of(change.owner)
        if owner_id is None:
            raise NotFound(f"no user {change.owner}")
        values["owner_id"] = owner_id
    return values


async def _bring_to_chargers(
    ctx: ServiceContext, id_tag: str, before: Card, *, narrowed: bool
) -> None:
    old_owner = await ctx.store.cards.owner_of(before.owner) if before.owner else None
    after = await ctx.store.cards.get(id_tag)
    concerned: set[tuple[int, str]] = set(await ctx.store.cards.chargers_for_owner(old_owner))
    if after is not None:
        concerned |= set(await ctx.store.cards.chargers_for_owner(after["owner_id"]))
    if narrowed:
        cached = concerned | set(await ctx.store.cards.chargers_that_saw(id_tag))
        await ctx.store.cards.mark_clear_cache(charger_id for charger_id, _ in cached)
        concerned = cached
    await ctx.local_lists.changed(concerned)


@dataclass(frozen=True, slots=True)
class LocalListState:
    version: int  # as the charger confirmed it; 0: nothing sent yet
    cards: int
    clear_cache_pending: bool
    synced_at: datetime | None
    outcome: str | None  # the last attempt's, in words


async def local_list(ctx: ServiceContext, charger: ChargerAccess) -> LocalListState:
    """What the charger's local list holds as the platform last sent it."""
    row = await ctx.store.cards.list_row(charger.id)
    version, sent, clear_cache = await ctx.store.cards.list_state(charger.id)
    return LocalListState(
        version=version,
        cards=len(sent),
        clear_cache_pending=clear_cache,
        synced_at=row["synced_at"] if row else None,
        outcome=row["outcome"] if row else None,
    )
