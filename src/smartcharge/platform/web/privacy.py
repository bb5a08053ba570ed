"""Privacy (issue 6 item 8; R35): the "Delete my personal data" page. What is deleted, and the
chargers asked to wipe themselves first, is the privacy service's (`services/privacy.py`); this
page asks for the typed confirmation and says what happened."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import SESSION_COOKIE, Api, Caller, TokenCache
from smartcharge.platform.services import privacy
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCaller

router = APIRouter()

CONFIRM_WORD = "DELETE"


@router.get("/app/privacy", response_class=HTMLResponse)
async def privacy_page(request: Request, ctx: Api, who: PageCaller) -> Response:
    return page(request, "privacy.html", who, **await _form(ctx, who))


async def _form(ctx: Api, who: Caller) -> dict[str, Any]:
    chargers = await privacy.chargers_to_wipe(ctx, who)
    return {"confirm_word": CONFIRM_WORD, "chargers": chargers, "errors": {}, "typed": ""}


@router.post("/app/privacy/delete")
async def delete_mine(
    request: Request,
    ctx: Api,
    who: PageCaller,
    confirm: Annotated[str, Form(max_length=20)] = "",
    anyway: Annotated[bool, Form()] = False,
    wiped: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    if who.role not in privacy.DELETABLE_ROLES:
        return back("/app/privacy", problem=privacy.NOT_DELETABLE)
    if confirm.strip() != CONFIRM_WORD:  # said next to the field, as typed
        context = await _form(ctx, who)
        context["errors"] = {"confirm": f"Nothing deleted: type {CONFIRM_WORD} to confirm."}
        context["typed"] = confirm
        return page(request, "privacy.html", who, 422, **context)
    try:
        result = await privacy.delete_my_data(ctx, who, wiped=frozenset(wiped), anyway=anyway)
    except ServiceError as exc:
        return back("/app/privacy", problem=exc.message)
    if not result.done:
        return page(request, "privacy.html", who, answers=result.answers, **await _form(ctx, who))
    cache: TokenCache = request.app.state.token_cache
    cache.drop(user_id=who.account.id)
    response: Any = page(
        request, "deleted.html", None, counted=result.counted, answers=result.answers
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
