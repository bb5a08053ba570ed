"""Rendering pages: the Jinja2 templates (autoescaped), the common context (who, the chargers'
menu, a one-line message after a form), and the redirect back with that message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from smartcharge import __version__
from smartcharge.platform.api.auth import Caller
from smartcharge.platform.web import plain_words
from smartcharge.platform.web.session import ROLE_NAMES, may_manage

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.filters["kwh"] = lambda wh: f"{(wh or 0) / 1000:.2f}"
templates.env.filters["clock"] = lambda at: plain_words.clock(at) if at else ""
templates.env.filters["when"] = lambda at: (
    at.astimezone(plain_words.UK_TZ).strftime("%a %d %b %Y %H:%M") if at else ""
)
templates.env.filters["duration"] = plain_words.duration
templates.env.filters["minutes"] = plain_words.minutes
templates.env.filters["longest_delay"] = plain_words.longest_delay
templates.env.filters["amps"] = plain_words.amps
templates.env.globals["version"] = __version__

MAX_MESSAGE = 300
FLASH_COOKIE = "smartcharge_flash"


def page(
    request: Request,
    template: str,
    who: Caller | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """The page, with the outcome of the form that led here (once: the cookie is cleared)."""
    flash = _read_flash(request)
    message, problem = flash.get("done", ""), flash.get("problem", "")
    context = {
        "who": who,
        "role_name": ROLE_NAMES.get(who.role, who.role) if who else "",
        "manage": may_manage(who) if who else False,
        "message": message,
        "problem": problem,
        **values,
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/app")
    return response


def back(url: str, *, done: str = "", problem: str = "") -> RedirectResponse:
    """303 to `url` (one of ours) with the outcome to show there. The outcome travels in a
    short-lived cookie, not in the URL, so no link can put words on our pages."""
    response = RedirectResponse(url, status_code=303)
    flash = {k: v[:MAX_MESSAGE] for k, v in (("done", done), ("problem", problem)) if v}
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(json.dumps(flash)),
            max_age=60,
            httponly=True,
            samesite="strict",
            path="/app",
        )
    return response


def _read_flash(request: Request) -> dict[str, str]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or len(raw) > 4 * MAX_MESSAGE:
        return {}
    try:
        found = json.loads(unquote(raw))
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: str(found[k])[:MAX_MESSAGE] for k in ("done", "problem") if k in found}
