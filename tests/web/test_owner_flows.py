"""The owner web app in a real browser (issue 6): each flow against a running stack — platform,
web app and three of our simulated charge points on loopback — asserting what the owner sees,
with screenshots kept in test-artifacts/web/, and every form's labels and keyboard use checked.

The tests run in file order on one stack (module scope): a charger's state carries from one flow
to the next as it would for an owner using the app.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from a11y import check_forms

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def context(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    yield ctx
    ctx.close()


def log_in(ctx: Any, stack: Any, email: str) -> Any:
    page = ctx.new_page()
    page.goto(f"{stack.url}/app/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(stack.passwords[email])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/app$"))
    return page


def test_login_and_roles(browser: Any, stack: Any, shots: Any) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    assert page.url.endswith("/app/login?next=/app/chargers/HOME-1")
    check_forms(page)
    page.get_by_label("E-mail address").fill("alice@example.com")
    page.get_by_label("Password").fill("not her password")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text() == "wrong e-mail address or password"
    shots(page, "wrong-password")
    page.get_by_label("Password").fill(stack.passwords["alice@example.com"])
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/app/chargers/HOME-1$"))
    page.goto(f"{stack.url}/app")
    names = page.locator(".cards h2").all_inner_texts()
    assert names == ["HOME-1", "HOME-2"]
    assert "owner" in page.locator(".who").inner_text()
    shots(page, "owner-home")
    # Another owner's charger does not exist for her.
    assert page.goto(f"{stack.url}/app/chargers/WORK-1").status == 404
    ctx.close()

    worker = browser.new_context()
    page = log_in(worker, stack, "worker@acme.example")
    assert page.locator(".cards h2").all_inner_texts() == ["WORK-1"]
    page.goto(f"{stack.url}/app/chargers/WORK-1/hours")
    assert "Only your workplace administrator can change" in page.inner_text("main")
    assert page.get_by_role("button", name="Accept the default hours").count() == 0
    # Even a hand-made request is refused, and nothing changes.
    r = page.request.post(
        f"{stack.url}/app/chargers/WORK-1/hours", form={"choice": "removed"}, max_redirects=0
    )
    assert r.status == 303 and "problem=" in r.headers["location"]
    page.goto(f"{stack.url}{r.headers['location']}")
    assert "a workplace user may start and stop charging" in page.get_by_role("alert").inner_text()
    shots(page, "workplace-user-hours")
    page.goto(f"{stack.url}/app/chargers/WORK-1")
    assert page.locator("#start-1").is_visible()  # a workplace user may start and stop
    worker.close()


def text(page: Any, selector: str = "main") -> str:
    return str(page.inner_text(selector))


def wait_text(page: Any, selector: str, pattern: str, timeout_s: float = 30) -> str:
    """Wait until `selector`'s text matches (the page's script refreshes it in place)."""
    page.wait_for_function(
        "([sel, pat]) => { const el = document.querySelector(sel);"
        " return el && new RegExp(pat).test(el.innerText); }",
        arg=[selector, pattern],
        timeout=timeout_s * 1000,
    )
    return text(page, selector)


def test_first_use_default_hours(context: Any, stack: Any, shots: Any) -> None:
    page = log_in(context, stack, "alice@example.com")
    page.goto(f"{stack.url}/app/chargers/HOME-2/hours")
    main = text(page)
    assert "Your charger's default charging hours" in main  # the first-use offer (R15)
    assert page.locator("svg.chart rect.peak").count() == 10  # weekday peaks, marked
    assert page.locator("svg.chart rect.charge").count() >= 10
    assert "Mon 22:00-00:00" in main  # the charger's own default windows, as a list too
    check_forms(page)
    shots(page, "offer")
    # A bad line changes nothing and says which line.
    page.get_by_label(re.compile("Your own hours")).fill("Mon 22:00-07:00\nsometimes")
    page.get_by_role("button", name="Save my hours").click()
    assert "line 2" in page.get_by_role("alert").inner_text()
    assert "Your charger's default charging hours" in text(page)  # still unanswered
    # Edit: her own hours, recorded with their time.
    page.get_by_label(re.compile("Your own hours")).fill("Mon 23:00-06:00\nSat 10:00-14:00")
    page.get_by_role("button", name="Save my hours").click()
    assert page.get_by_role("status").inner_text() == "Your charging hours are set."
    main = text(page)
    assert "your own hours" in main and "chosen by the owner on Mon 23 Nov 2026" in main
    assert "Mon 23:00-06:00" in main and "Sat 10:00-14:00" in main
    shots(page, "custom")
    # Later (R16): remove them altogether; the picture shows no charging window.
    page.get_by_role("button", name="Remove default hours").click()
    assert page.get_by_role("status").inner_text() == "Default charging hours removed."
    assert "no default hours" in text(page)
    assert page.locator("svg.chart rect.charge").count() == 0
    page.close()


def test_live_page_start_waiting_charge_now_stop(context: Any, stack: Any, shots: Any) -> None:
    stack.do(lambda: stack.hw("HOME-1").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
    page = context.new_page()
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    wait_text(page, "#live", "Car plugged in")
    check_forms(page)
    page.locator("#start-1").click()
    assert "Start sent" in page.get_by_role("status").inner_text()
    page.evaluate("window.notReloaded = true")
    # Peak hours, default hours in force: the owner is told why and until when.
    state = wait_text(page, "#live", "Waiting for off-peak hours: charging starts at")
    assert "22:00" in state
    assert page.evaluate("window.notReloaded === true")  # updated in place, no reload
    shots(page, "waiting")
    page.locator("#charge-now-1").click()
    assert "Charging now" in page.get_by_role("status").inner_text()
    state = wait_text(page, "#live", r"Charging at \d+\.\d kW", 40)
    assert "owner override" in state.lower()
    shots(page, "charging")
    page.locator("#stop-1").click()
    assert page.get_by_role("status").inner_text() == "Stop sent."
    wait_text(page, "#live", "Finished|Ready", 30)
    page.close()


def test_random_delay_skip_and_grid_event(context: Any, stack: Any, shots: Any) -> None:
    from smartcharge.platform.dsr import DsrRequest

    stack.do(lambda: stack.hw("HOME-2").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
    page = context.new_page()
    page.goto(f"{stack.url}/app/chargers/HOME-2")
    wait_text(page, "#live", "Car plugged in")
    page.locator("#start-1").click()
    state = wait_text(page, "#live", r"Random delay: (\d+ min )?\d+ s left")
    assert "skip" in state.lower()
    shots(page, "delay")
    page.locator("#skip-delay-1").click()
    assert page.get_by_role("status").inner_text() == "Random delay skipped."
    wait_text(page, "#live", r"Charging at \d+\.\d kW", 40)

    # A grid event (DSR, R4) for the next half hour: shown with its end, and the owner opts out.
    app = stack.app

    async def post_event() -> str:
        agg = await app.store.accounts.login_record("grid@aggregator.example")
        charger = await app.store.chargers.credentials("HOME-2")
        request = DsrRequest("response", 6.0, stack.clock.now(), 1800)
        return await app.dsr.post(request, aggregator_id=agg[0].id, targets={"HOME-2": charger.id})

    stack.call(post_event())
    state = wait_text(page, "#live", "Reduced by a grid event until 22:1")
    assert page.get_by_role("button", name="Opt out of this grid event").is_visible()
    shots(page, "grid-event")
    page.get_by_role("button", name="Opt out of this grid event").click()
    assert "opted out" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Opt out of this grid event").count() == 0
    page.close()
