"""Rendering pages: the Jinja2 templates (autoescaped), the common context (who, the chargers'
menu, a one-line message after a form), and the redirect back with that message."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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
templates.env.globals["version"] = __version__

MAX_MESSAGE = 300


def page(
    request: Request,
    template: str,
    who: Caller | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    message = request.query_params.get("done", "")[:MAX_MESSAGE]
    problem = request.query_params.get("problem", "")[:MAX_MESSAGE]
    context = {
        "who": who,
        "role_name": ROLE_NAMES.get(who.role, who.role) if who else "",
        "manage": may_manage(who) if who else False,
        "message": message,
        "problem": problem,
        **values,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def back(url: str, *, done: str = "", problem: str = "") -> RedirectResponse:
    """303 to `url` (one of ours) with the outcome to show there."""
    query = {k: v[:MAX_MESSAGE] for k, v in (("done", done), ("problem", problem)) if v}
    return RedirectResponse(f"{url}?{urlencode(query)}" if query else url, status_code=303)
