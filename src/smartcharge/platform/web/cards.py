"""The cards page (issue 14 item 4): the RFID cards that start charging. An owner adds, names,
blocks and removes their own; an operator sees everyone's and also sets an owner, an expiry date
and a parent (a group of cards). Every change reaches the chargers' local lists by itself
(services/cards.py); the page says so in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.services import cards
from smartcharge.platform.services.cards import CardChange
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCaller
from smartcharge.regulations import UK_TZ

router = APIRouter()
URL = "/app/cards"
STATUS_WORDS = {
    "Accepted": "Can charge",
    "Blocked": "Blocked",
    "Expired": "Expired",
    "Invalid": "Not valid",
}


@router.get(URL, response_class=HTMLResponse)
async def cards_page(request: Request, who: PageCaller, ctx: Api) -> Response:
    return page(
        request,
        "cards.html",
        who,
        cards=await cards.list_cards(ctx, who),
        operator=who.role == "operator",
        words=STATUS_WORDS,
    )


@router.post(URL)
async def add(
    who: PageCaller,
    ctx: Api,
    id_tag: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    owner: Annotated[str, Form(max_length=254)] = "",
    expiry: Annotated[str, Form(max_length=20)] = "",
    parent: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        change = CardChange(
            owner=owner.strip() or None,
            expiry_date=_uk_date(expiry),
            parent_id_tag=parent.strip() or None,
        )
        card = await cards.add_card(ctx, who, id_tag.strip(), name=name, change=change)
    except (ServiceError, ValueError) as exc:
        return back(URL, problem=f"Card not added: {_words(exc)}")
    return back(URL, done=f"Card {card.id_tag} added. Your chargers learn it by themselves.")


@router.post(URL + "/{id_tag}")
async def change(
    id_tag: str,
    who: PageCaller,
    ctx: Api,
    action: Annotated[str, Form(max_length=10)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    await cards.get_card(ctx, who, id_tag)  # someone else's card: 404, as if it did not exist
    try:
        if action == "remove":
            await cards.remove_card(ctx, who, id_tag)
            return back(URL, done=f"Card {id_tag} removed. It can no longer start charging.")
        if action in ("block", "unblock"):
            await cards.change_card(ctx, who, id_tag, CardChange(blocked=action == "block"))
            done = (
                f"Card {id_tag} blocked: it can no longer start charging, also on chargers "
                "that are offline now, as soon as they are back."
                if action == "block"
                else f"Card {id_tag} can charge again."
            )
            return back(URL, done=done)
        if action == "rename":
            await cards.change_card(ctx, who, id_tag, CardChange(name=name))
            return back(URL, done=f"Card {id_tag} renamed.")
    except ServiceError as exc:
        return back(URL, problem=f"Nothing changed: {_words(exc)}")
    return back(URL, problem="Nothing changed: unknown action.")


def _uk_date(text: str) -> datetime | None:
    """A date the operator typed (UK): the card works until the end of that day."""
    if not text.strip():
        return None
    day = datetime.strptime(text.strip(), "%Y-%m-%d")
    return day.replace(hour=23, minute=59, second=59, tzinfo=UK_TZ).astimezone(UTC)


def _words(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return exc.message.rstrip(".") + "."
    return "the expiry date must be a date like 2027-03-31."
