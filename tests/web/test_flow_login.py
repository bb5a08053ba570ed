"""The owner web app in Debian Chromium, at 1366 px and on a 390 px phone: logging in, what each
role may see and do, nothing wider than the screen, nothing fetched from the internet."""

from __future__ import annotations

import re
from typing import Any

import pytest
from a11y import check_forms
from owner_app import ALL_TABS_ON_SCREEN, PAGES, log_in, text, wait_text
from playwright.sync_api import expect

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(stack_per_width: Any) -> Any:
    return stack_per_width  # each width from a fresh stack: the flows start from first use


def test_login_and_roles(open_context: Any, stack: Any, shots: Any) -> None:
    ctx = open_context()
    page = ctx.new_page()
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    assert page.url.endswith("/app/login?next=/app/chargers/HOME-1")
    check_forms(page)
    page.get_by_label("E-mail address").fill("alice@example.com")
    page.get_by_label("Password").fill("not her password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("wrong e-mail address or password")
    shots(page, "wrong-password")
    page.get_by_label("Password").fill(stack.passwords["alice@example.com"])
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/app/chargers/HOME-1$"))
    page.goto(f"{stack.url}/app")
    names = page.locator(".charger-card > h2 a").all_inner_texts()
    assert names == ["HOME-1", "HOME-2"]
    assert "owner" in page.locator(".who").inner_text()
    shots(page, "owner-home")
    # Another owner's charger does not exist for her.
    assert page.goto(f"{stack.url}/app/chargers/WORK-1").status == 404
    ctx.close()

    worker = open_context()
    page = log_in(worker, stack, "worker@acme.example")
    assert page.locator(".charger-card > h2 a").all_inner_texts() == ["WORK-1"]
    page.goto(f"{stack.url}/app/chargers/WORK-1/hours")
    assert "Only your workplace administrator can change" in page.inner_text("main")
    assert page.get_by_role("button", name="Accept the default hours").count() == 0
    # Even a hand-made request is refused, and nothing changes.
    r = page.request.post(f"{stack.url}/app/chargers/WORK-1/hours", form={"choice": "removed"})
    assert r.url.endswith("/app/chargers/WORK-1/hours")  # back to the page, with the refusal
    assert "a workplace user may start and stop charging" in r.text()
    page.reload()
    assert "a workplace user may start" not in text(page)  # said once, not at every visit
    shots(page, "workplace-user-hours")
    # A workplace user may start and stop, but not override the hours (the charger's admin's).
    stack.do(lambda: stack.hw("WORK-1").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
    page.goto(f"{stack.url}/app/chargers/WORK-1")
    wait_text(page, "#live", "Car plugged in")
    check_forms(page)
    page.locator("#start-1").click()
    expect(page.get_by_role("status")).to_contain_text("Start sent")
    wait_text(page, "#live", "Random delay|Waiting for your charging hours")
    assert page.locator("#charge-now-1").count() == 0
    for path, button in (  # nor change the settings: not even the buttons are there
        ("schedule", "Plan and send"),
        ("schedule", "Save tariff"),
        ("schedule", "Use Agile prices"),
        ("security", "Record incident"),
    ):
        page.goto(f"{stack.url}/app/chargers/WORK-1/{path}")
        assert page.get_by_role("button", name=button).count() == 0, button
    page.goto(f"{stack.url}/app/chargers/WORK-1")
    page.locator("#stop-1").click()
    expect(page.get_by_role("status")).to_have_text("Stop sent.")
    wait_text(page, "#live", "Finished|Ready", 30)
    shots(page, "workplace-user-stopped")
    worker.close()

    # The workplace administrator answers for the workplace charger (by: administrator).
    admin = open_context()
    page = log_in(admin, stack, "admin@acme.example")
    page.goto(f"{stack.url}/app/chargers/WORK-1/hours")
    page.get_by_role("button", name="Accept the default hours").click()
    expect(page.get_by_role("status")).to_have_text("You accepted the default charging hours.")
    assert "chosen by the administrator on" in text(page)
    admin.close()

    # Nothing on any page wider than the screen (a phone's too), every tab on it.
    ctx = open_context()
    page = log_in(ctx, stack, "alice@example.com")
    for path in PAGES:
        page.goto(f"{stack.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        assert page.evaluate(ALL_TABS_ON_SCREEN), path  # no tab hidden off to the side
    shots(page, "about")
    page.goto(f"{stack.url}/app/chargers/HOME-1/hours")
    shots(page, "hours")
    ctx.close()


def test_nothing_was_fetched_from_the_internet(browser: Any, open_context: Any, stack: Any) -> None:
    """Every page of every flow above loaded with all but loopback refused: nothing asked (each
    flow module's browser checks it again as it closes)."""
    page = open_context().new_page()
    page.goto(f"{stack.url}/app/login")
    assert page.locator("link[rel=stylesheet]").get_attribute("href") == "/app/static/app.css"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert browser.outside == []
    page.context.close()
