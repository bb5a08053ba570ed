"""A form's action: run it, then go back to the page with what happened in plain words — the
charger's answer, or why nothing happened (offline, no answer, refused, not allowed)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi.responses import RedirectResponse

from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.web.render import back

OUTCOME_WORDS = {
    "offline": "The charger is offline: nothing was sent. Try again when it is back.",
    "timeout": "The charger did not answer in time: it may or may not have done it.",
    "disconnected": "The charger lost its connection while answering: it may or may not have "
    "done it. Look again in a minute.",
    "call_error": "The charger could not do it",
    "bad_answer": "The charger sent an answer we could not read",
    "invalid": "That request is not valid",
}


def refused(answer: Any) -> str | None:
    """None when the charger accepted; else what it said."""
    if isinstance(answer, dict):
        status, data = answer.get("status"), answer.get("data")
    else:
        return None
    if status in (None, "Accepted", "Unlocked"):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return f"The charger said {status}" + (f": {error}" if error else "")


async def run(url: str, action: Awaitable[Any], done: str) -> RedirectResponse:
    try:
        answer = await action
    except CommandFailed as exc:
        words = OUTCOME_WORDS.get(exc.outcome, "It did not work")
        detail = "" if exc.outcome in ("offline", "timeout") else f" ({exc.message})"
        return back(url, problem=words + detail)
    except ServiceError as exc:
        return back(url, problem=exc.message)
    problem = refused(answer)
    return back(url, problem=problem) if problem else back(url, done=done)
