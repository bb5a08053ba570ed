"""/api/cards: RFID cards (id tags). An owner (or a workplace user) adds, names, blocks and
removes their own; an operator sees and manages everyone's, with expiry dates, parent id tags
and owners. /api/chargers/{identity}/local-list: what the charger's local list holds as the
platform last sent it, and a sync on demand. The rules are services/cards.py and
services/local_lists.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from smartcharge.platform.api.access import Managed, Visible
from smartcharge.platform.api.auth import Api, CallerDep
from smartcharge.platform.api.schemas import Email, Strict
from smartcharge.platform.services import cards
from smartcharge.platform.services.cards import Card, CardChange

router = APIRouter(tags=["cards"])

IdTag = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[\x21-\x7e]+$")]
IdTagPath = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[\x21-\x7e]+$")]
Name = Annotated[str, Field(max_length=50, pattern=r"^[^\x00-\x1f\x7f]*$")]


class CardOut(BaseModel):
    id_tag: str
    name: str | None
    status: str  # Accepted, Blocked, or Expired (past its expiry date)
    blocked: bool
    expiry_date: AwareDatetime | None
    parent_id_tag: str | None
    owner: str | None
    created_at: AwareDatetime


class NewCard(Strict):
    id_tag: IdTag
    name: Name = ""
    blocked: bool = False
    # An operator's only:
    owner: Email | None = None
    expiry_date: AwareDatetime | None = None
    parent_id_tag: IdTag | None = None


class CardPatch(Strict):
    """Only the fields sent change; `expiry_date` / `parent_id_tag` null removes them."""

    name: Name | None = None
    blocked: bool | None = None
    owner: Email | None = None
    expiry_date: AwareDatetime | None = None
    parent_id_tag: IdTag | None = None


class LocalListOut(BaseModel):
    identity: str
    version: int  # as the charger confirmed it; 0: nothing sent yet
    cards: int
    clear_cache_pending: bool
    synced_at: AwareDatetime | None
    outcome: str | None


class SyncOut(BaseModel):
    identity: str
    outcome: str = Field(description="what the charger answered, in words")


def _out(card: Card) -> CardOut:
    return CardOut(**{k: getattr(card, k) for k in CardOut.model_fields})


@router.get("/api/cards", response_model=list[CardOut])
async def list_cards(ctx: Api, who: CallerDep) -> list[CardOut]:
    """The caller's cards (an operator: everyone's), by id."""
    return [_out(c) for c in await cards.list_cards(ctx, who)]


@router.post("/api/cards", response_model=CardOut, status_code=status.HTTP_201_CREATED)
async def add_card(body: NewCard, ctx: Api, who: CallerDep) -> CardOut:
    """Register a card; 409 when its id is already registered."""
    change = CardChange(
        blocked=body.blocked,
        owner=body.owner,
        expiry_date=body.expiry_date,
        parent_id_tag=body.parent_id_tag,
    )
    return _out(await cards.add_card(ctx, who, body.id_tag, name=body.name, change=change))


@router.get("/api/cards/{id_tag}", response_model=CardOut)
async def get_card(id_tag: IdTagPath, ctx: Api, who: CallerDep) -> CardOut:
    return _out(await cards.get_card(ctx, who, id_tag))


@router.patch("/api/cards/{id_tag}", response_model=CardOut)
async def change_card(id_tag: IdTagPath, body: CardPatch, ctx: Api, who: CallerDep) -> CardOut:
    """Rename, block or unblock (owner or operator); expiry, parent, owner (operator). The
    chargers it concerns get the change on their local lists; a card blocked is also cleared
    from the caches of the chargers that may hold it."""
    sent = body.model_fields_set
    change = CardChange(
        name=body.name,
        blocked=body.blocked,
        owner=body.owner,
        expiry_date=body.expiry_date,
        clear_expiry="expiry_date" in sent and body.expiry_date is None,
        parent_id_tag=body.parent_id_tag,
        clear_parent="parent_id_tag" in sent and body.parent_id_tag is None,
    )
    return _out(await cards.change_card(ctx, who, id_tag, change))


@router.delete("/api/cards/{id_tag}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_card(id_tag: IdTagPath, ctx: Api, who: CallerDep) -> Response:
    """Forget a card: off every local list, out of every cache that may hold it."""
    await cards.remove_card(ctx, who, id_tag)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/chargers/{identity}/local-list", response_model=LocalListOut)
async def local_list(charger: Visible, ctx: Api) -> LocalListOut:
    state = await cards.local_list(ctx, charger)
    return LocalListOut(identity=charger.identity, **asdict(state))


@router.post("/api/chargers/{identity}/local-list/sync", response_model=SyncOut)
async def sync_local_list(charger: Managed, ctx: Api) -> SyncOut:
    """Bring the charger's local list and cache in step now (it happens by itself on every
    change and every connection); the outcome in words."""
    outcome = await ctx.local_lists.sync(charger.id, charger.identity)
    return SyncOut(identity=charger.identity, outcome=outcome)
