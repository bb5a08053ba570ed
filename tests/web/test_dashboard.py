"""The home dashboard (issue 13 item 3) in Debian Chromium, at 1366 px and on a 390 px phone:
each charger and socket at a glance (state in plain words, power, kWh, time), updated in place
by server-sent events (one stream, no polling, no reload)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from owner_app import log_in, wait_text
from playwright.sync_api import expect


@pytest.mark.parametrize("width", [1366, 390])
def test_dashboard_shows_each_socket_and_is_pushed_live(
    browser: Any, stack: Any, shots: Any, width: int
) -> None:
    socket = 1 if width == 1366 else 2
    ctx = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500)
    asked: list[str] = []
    ctx.on("request", lambda r: asked.append(r.url))
    page = log_in(ctx, stack, "alice@example.com")
    card = f"HOME-1 · Socket {socket}"
    assert card in page.inner_text("#dashboard")
    stack.do(lambda: stack.hw("HOME-1").plug(socket, battery_kwh=60, soc=20, max_power_w=7400))
    page.evaluate("window.notReloaded = true")
    wait_text(page, "#dashboard", rf"{card}\s+Car plugged in")
    page.locator(f"#start-HOME-1-{socket}").click()
    page.goto(f"{stack.url}/app")
    page.evaluate("window.notReloaded = true")
    # Monday evening, peak hours: told why, and when (today, not "Mon").
    wait_text(
        page, "#dashboard", rf"{card}\s+Waiting for your charging hours: charging starts today at"
    )
    page.locator(f"#charge-now-HOME-1-{socket}").click()
    page.goto(f"{stack.url}/app")
    page.evaluate("window.notReloaded = true")
    since = len(asked)
    state = wait_text(page, "#dashboard", rf"{card}\s+Charging at \d+(\.\d)? kW", 40)
    assert "You chose Charge now" in state
    wait_text(page, "#dashboard", rf"{card}[\s\S]*Energy\s+\d+\.\d\d kWh[\s\S]*Time\s+\d+ min")
    assert page.evaluate("window.notReloaded === true")  # updated in place
    # A button that did not change stays the same element across an update, so a press that
    # spans one is not lost between the old button and its copy (live.js patches what changed).
    stop = f"stop-HOME-1-{socket}"
    page.evaluate(f"window.stopButton = document.getElementById('{stop}')")
    updated = page.locator("#dashboard").get_attribute("data-updated")
    assert updated  # the figures above came by updates
    expect(page.locator("#dashboard")).not_to_have_attribute("data-updated", updated)
    assert page.evaluate(f"window.stopButton === document.getElementById('{stop}')")
    assert any(u.endswith("/app/dashboard/stream") for u in asked)
    assert not [u for u in asked[since:] if re.search(r"/app/dashboard$", u)]  # pushed, not polled
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, f"dashboard-{width}")
    page.locator(f"#stop-HOME-1-{socket}").click()
    page.goto(f"{stack.url}/app")
    wait_text(page, "#dashboard", rf"{card}\s+(Finished|Ready)", 30)
    ctx.close()
