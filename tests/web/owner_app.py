"""What the owner-flow tests share: logging in, reading a page's text, waiting for the page's
own script to show something (never a fixed sleep), and the pages of the app."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

ALL_TABS_ON_SCREEN = """Array.from(document.querySelectorAll('nav a'))
  .every(a => a.getBoundingClientRect().right <= window.innerWidth)"""
PAGES = [
    "/app",
    "/app/energy",
    "/app/privacy",
    *(
        f"/app/chargers/HOME-1{tab}"
        for tab in ("", "/hours", "/schedule", "/firmware", "/security", "/about")
    ),
]


def log_in(ctx: Any, stack: Any, email: str) -> Any:
    page = ctx.new_page()
    page.goto(f"{stack.url}/app/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(stack.passwords[email])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/app$"))
    return page


def text(page: Any, selector: str = "main") -> str:
    """The text of a page that has loaded: after a click that navigates, the new page may still
    be arriving when the click returns (then its `main` is there but not all of it)."""
    page.wait_for_load_state("domcontentloaded")
    return str(page.inner_text(selector))


def wait_text(page: Any, selector: str, pattern: str, timeout_s: float = 30) -> str:
    """Wait until `selector`'s text matches (the page's script refreshes it in place)."""
    try:
        page.wait_for_function(
            "([sel, pat]) => { const el = document.querySelector(sel);"
            " return el && new RegExp(pat).test(el.innerText); }",
            arg=[selector, pattern],
            timeout=timeout_s * 1000,
        )
    except Exception:
        raise AssertionError(f"{pattern!r} never in: {text(page, selector)!r}") from None
    return text(page, selector)


def stack_wait(predicate: Callable[[], bool], timeout_s: float = 30) -> None:
    """Wait for what the test reads from outside the page (the store, a charger)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def assert_next_to_field(page: Any, field: str, error_id: str, words: str) -> None:
    """The problem is said right after its field, which is marked invalid and points at it."""
    said = page.locator(f"{field} + #{error_id}")
    assert words in said.inner_text(), said.inner_text()
    assert page.locator(field).get_attribute("aria-invalid") == "true"
    assert error_id in (page.locator(field).get_attribute("aria-describedby") or "").split()


def power_readings_w(stack: Any, identity: str) -> list[float]:
    """The power the charger's meter reported in its latest session (MeterValues, as stored)."""
    from smartcharge.platform.store.history import Scope

    async def read() -> list[float]:
        store = stack.app.store.history
        found = await store.sessions(Scope(everything=True), identity=identity)
        values = await store.meter_values(found[0]["id"]) if found else []
        return [
            float(v["value"]) * (1000 if v["unit"] == "kW" else 1)
            for v in values
            if v["measurand"] == "Power.Active.Import" and v["phase"] is None
        ]

    return list(stack.call(read()))
