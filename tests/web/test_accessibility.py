"""axe-core on every page of the owner web app, at 1366 px and on a 390 px phone, in the states
an owner meets: logged out, the dashboard with a session running, a form that came back with a
problem next to its field, a page that does not exist (issue 13: 0 violations)."""

from __future__ import annotations

from typing import Any

import pytest
from axe import violations
from owner_app import PAGES, log_in, wait_text


@pytest.mark.parametrize("width", [1366, 390])
def test_every_page_and_state_has_no_axe_violations(browser: Any, stack: Any, width: int) -> None:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500)
    page = ctx.new_page()
    page.goto(f"{stack.url}/app/login")
    assert violations(page) == [], "login"
    page = log_in(ctx, stack, "alice@example.com")
    for path in PAGES:
        page.goto(f"{stack.url}{path}")
        assert violations(page) == [], path
    # A session running: the dashboard's numbers and the live chart.
    if width == 1366:
        stack.do(lambda: stack.hw("HOME-1").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
        page.goto(f"{stack.url}/app/chargers/HOME-1")
        wait_text(page, "#live", "Car plugged in")
        page.locator("#start-1").click()
        wait_text(page, "#live", "Waiting for your charging hours")
        page.locator("#charge-now-1").click()
        wait_text(page, "#live", r"Charging at \d")
    page.goto(f"{stack.url}/app")
    wait_text(page, "#dashboard", r"HOME-1 · Socket 1")
    assert violations(page) == [], "dashboard"
    # A form kept as typed, with its problem next to the field.
    page.goto(f"{stack.url}/app/chargers/HOME-1/schedule")
    page.get_by_label("Leave at").fill("07:00")
    page.get_by_label("Energy to add (kWh)").fill("lots")
    page.get_by_role("button", name="Plan and send").click()
    assert page.locator("#err-energy_kwh").is_visible()
    assert violations(page) == [], "departure form with a problem"
    page.goto(f"{stack.url}/app/chargers/NOT-MINE")
    assert violations(page) == [], "not found"
    ctx.close()


def test_the_checker_finds_what_it_should(browser: Any) -> None:
    """axe-core really runs: a page with an unlabelled field and an image without text fails."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_content('<html lang="en"><title>t</title><main><input><img src="x.png"></main>')
    found = " ".join(violations(page))
    assert "label" in found and "image-alt" in found
    ctx.close()
