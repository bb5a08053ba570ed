"""Privacy (issue 6 item 8; R35).

"Delete my personal data" removes, after a typed confirmation: the sessions on the owner's
chargers (a workplace user: the sessions started with their own cards) with their meter values,
the RFID cards registered to them, their tokens and their account; the chargers stay registered
(the operator's), with no owner. Before that each of the owner's chargers is told to wipe its
own personal data (`wipe.py`); if one cannot, the platform deletes nothing until the owner
tries again or chooses to go ahead anyway.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import delete, select, update

from smartcharge.platform.api.auth import SESSION_COOKIE, Api, Caller, TokenCache
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.store.models import (
    ApiToken,
    Charger,
    CommandRecord,
    IdTag,
    MeterValue,
    Transaction,
    User,
)
from smartcharge.platform.web.records import WebRecords
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCaller
from smartcharge.platform.web.wipe import wipe_chargers

log = logging.getLogger("smartcharge.platform.web")

router = APIRouter()

CONFIRM_WORD = "DELETE"
DELETABLE_ROLES = ("owner", "workplace_admin", "workplace_user")
"""People who charge. An operator's or aggregator's account carries the platform's own records
(DSR events, groups) and is removed by the operator."""


async def delete_personal_data(ctx: ApiContext, who: Caller) -> dict[str, int]:
    """Everything the platform keeps about this user, in one transaction; counts of what went."""
    user_id = who.account.id
    counted: dict[str, int] = {}
    async with ctx.store.engine.begin() as conn:
        tags = list(
            (await conn.execute(select(IdTag.id_tag).where(IdTag.owner_id == user_id))).scalars()
        )
        mine = list(
            (await conn.execute(select(Charger.id).where(Charger.owner_id == user_id))).scalars()
        )
        sessions = select(Transaction.id).where(
            Transaction.charger_id.in_(mine) | Transaction.id_tag.in_(tags)
            if who.role == "owner"
            else Transaction.id_tag.in_(tags)
        )
        ids = list((await conn.execute(sessions)).scalars())
        counted["sessions"] = len(ids)
        if ids:
            await conn.execute(delete(MeterValue).where(MeterValue.transaction_id.in_(ids)))
            await conn.execute(delete(Transaction).where(Transaction.id.in_(ids)))
        counted["cards"] = len(tags)
        await conn.execute(delete(IdTag).where(IdTag.owner_id == user_id))
        await conn.execute(
            update(CommandRecord).where(CommandRecord.user_id == user_id).values(user_id=None)
        )
        await conn.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        await conn.execute(update(Charger).where(Charger.owner_id == user_id).values(owner_id=None))
        await conn.execute(delete(User).where(User.id == user_id))
    records = WebRecords(ctx.store.engine)
    for charger_id in mine:
        await records.forget_charger(charger_id)
    counted["chargers"] = len(mine)
    return counted


@router.get("/app/privacy", response_class=HTMLResponse)
async def privacy_page(request: Request, ctx: Api, who: PageCaller) -> Response:
    return page(request, "privacy.html", who, **await _form(ctx, who))


async def _form(ctx: Api, who: Caller) -> dict[str, Any]:
    chargers = await ctx.store.history.chargers(who.scope) if who.role == "owner" else []
    return {"confirm_word": CONFIRM_WORD, "chargers": chargers}


@router.post("/app/privacy/delete")
async def delete_mine(
    request: Request,
    ctx: Api,
    who: PageCaller,
    confirm: Annotated[str, Form(max_length=20)] = "",
    anyway: Annotated[bool, Form()] = False,
    wiped: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    """Each of the owner's chargers is asked to wipe itself first. If one could not, nothing
    is deleted on the platform yet and the owner is told why and what to do, unless they
    chose to go ahead anyway (those chargers then keep their data until reset on site)."""
    if who.role not in DELETABLE_ROLES:
        return back(
            "/app/privacy",
            problem="An operator's or aggregator's account is removed by the platform's operator.",
        )
    if confirm.strip() != CONFIRM_WORD:
        return back("/app/privacy", problem=f"Nothing deleted: type {CONFIRM_WORD} to confirm.")
    owned: list[tuple[str, int]] = []
    if who.role == "owner":
        owned = [(r["identity"], int(r["id"])) for r in await ctx.store.history.chargers(who.scope)]
    done = frozenset(wiped) & {identity for identity, _ in owned}
    answers = await wipe_chargers(ctx, owned, who.account.id, done)
    if not anyway and any(not a.wiped for a in answers):
        log.info(
            "personal data not deleted yet user_id=%s: a charger was not wiped", who.account.id
        )
        return page(request, "privacy.html", who, answers=answers, **await _form(ctx, who))
    counted = await delete_personal_data(ctx, who)
    cache: TokenCache = request.app.state.token_cache
    cache.drop(user_id=who.account.id)
    log.info("personal data deleted user_id=%s counts=%s", who.account.id, counted)
    response: Any = page(request, "deleted.html", None, counted=counted, answers=answers)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
