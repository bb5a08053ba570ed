"""Privacy and information (issue 6 item 8; R35, R38).

"Delete my personal data" removes, after a typed confirmation: the sessions on the owner's
chargers (a workplace user: the sessions started with their own cards) with their meter values,
the RFID cards registered to them, their tokens and their account; the chargers stay registered
(the operator's), with no owner. Each of the owner's connected chargers is then told to forget
the cards it keeps: SendLocalList (Full, empty) and ClearCache. OCPP 1.6 has no message that
makes a charger wipe its own session history or reset to factory settings, so the page says that
this part is done on the charger itself.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import delete, select, update

from smartcharge.platform.api.auth import SESSION_COOKIE, Api, Caller, TokenCache
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.commands import CommandFailed
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


async def tell_chargers_to_forget(
    ctx: ApiContext, chargers: list[tuple[str, int]], user_id: int
) -> list[str]:
    """Empty each charger's local list of cards and its authorisation cache; what each said."""
    out = []
    version = int(ctx.now().timestamp()) % 2**31  # a new full list: newer than any before
    for identity, charger_id in chargers:
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
        out.append(f"{identity}: {', '.join(said)}")
    return out


@router.get("/app/privacy", response_class=HTMLResponse)
async def privacy_page(request: Request, ctx: Api, who: PageCaller) -> Response:
    chargers = await ctx.store.history.chargers(who.scope) if who.role == "owner" else []
    return page(request, "privacy.html", who, confirm_word=CONFIRM_WORD, chargers=chargers)


@router.post("/app/privacy/delete")
async def delete_mine(
    request: Request,
    ctx: Api,
    who: PageCaller,
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
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
    said = await tell_chargers_to_forget(ctx, owned, who.account.id)
    counted = await delete_personal_data(ctx, who)
    cache: TokenCache = request.app.state.token_cache
    cache.drop(user_id=who.account.id)
    log.info("personal data deleted user_id=%s counts=%s", who.account.id, counted)
    response: Any = page(
        request,
        "deleted.html",
        None,
        counted=counted,
        said=said,
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
