"""The installable app (issue 13 item 6) in Debian Chromium: a web app manifest, a service worker
that shows the last known state of a page when the network is gone (with a notice), dark mode
with 0 axe violations, and aria-current on the current tab."""

from __future__ import annotations

from typing import Any

import pytest
from axe import violations
from owner_app import PAGES, log_in

SCREENS = pytest.mark.parametrize("screen", [(1366, 900), (390, 844)], ids=["desktop", "phone"])


def _context(browser: Any, screen: tuple[int, int], **kwargs: Any) -> Any:
    width, height = screen
    return browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 500, **kwargs
    )


@SCREENS
def test_manifest_and_offline_shell_show_the_last_known_state(
    browser: Any, stack: Any, screen: tuple[int, int]
) -> None:
    ctx = _context(browser, screen)
    page = log_in(ctx, stack, "alice@example.com")
    manifest = page.request.get(f"{stack.url}/app/static/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/app" and data["display"] == "standalone" and data["icons"]
    assert page.locator('link[rel="manifest"]').count() == 1
    # The service worker takes over /app, then keeps each page it served.
    assert page.evaluate("async () => !!(await navigator.serviceWorker.ready).active")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.goto(f"{stack.url}/app/chargers/HOME-1/about")
    seen = page.locator("#model").inner_text()
    ctx.set_offline(True)
    page.goto(f"{stack.url}/app/chargers/HOME-1/about")
    assert "You are offline: this is what the platform showed at" in page.inner_text("main")
    assert page.locator("#model").inner_text() == seen  # the last known state
    page.goto(f"{stack.url}/app/energy?never=opened")
    assert "You are offline" in page.inner_text("main")
    ctx.set_offline(False)
    ctx.close()


@SCREENS
def test_dark_mode_has_no_axe_violations_and_tabs_say_where_you_are(
    browser: Any, stack: Any, screen: tuple[int, int]
) -> None:
    ctx = _context(browser, screen, color_scheme="dark")
    page = log_in(ctx, stack, "alice@example.com")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    for path in PAGES:
        page.goto(f"{stack.url}{path}")
        assert violations(page) == [], path
    page.goto(f"{stack.url}/app/chargers/HOME-1/schedule")
    current = page.locator('nav.tabs a[aria-current="page"]')
    assert current.count() == 1 and current.inner_text() == "Schedule and tariff"
    page.goto(f"{stack.url}/app")
    current = page.locator('nav[aria-label="Main"] a[aria-current="page"]')
    assert current.count() == 1 and current.inner_text() == "Chargers"
    ctx.close()
