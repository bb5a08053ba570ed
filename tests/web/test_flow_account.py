"""The owner's account in Debian Chromium, at 1366 px and on a 390 px phone: the charger's
information page (R38: support period and vulnerability contact) and deleting one's personal
data (R35)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from a11y import check_forms
from owner_app import assert_next_to_field, log_in, text, wait_text
from playwright.sync_api import expect

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(stack_per_width: Any) -> Any:
    return stack_per_width  # each width from a fresh stack: the flows start from first use


def test_information_page(open_context: Any, stack: Any, shots: Any) -> None:
    ctx = open_context()
    page = log_in(ctx, stack, "alice@example.com")
    # R38: the charger's own values (GetDeviceInfo), else the platform's, each with its source.
    page.goto(f"{stack.url}/app/chargers/HOME-1/about")
    assert page.locator("#model").inner_text() == "smartcharge AC-7 (as the charger reports it)"
    assert page.locator("#software").inner_text().endswith("(as the charger reports it)")
    assert page.locator("#support").inner_text() == "30 June 2032 (as the charger reports it)"
    assert page.get_by_role("link", name="https://acme.example/psirt").is_visible()
    shots(page, "about")
    page.goto(f"{stack.url}/app/chargers/HOME-2/about")
    operator = "(set by the platform's operator)"
    assert page.locator("#support").inner_text() == f"31 December 2031 {operator}"
    assert page.locator("#contact").inner_text() == f"security@example.com {operator}"
    link = page.get_by_role("link", name="security@example.com")
    assert link.get_attribute("href") == "mailto:security@example.com"
    shots(page, "about-fallback")
    ctx.close()


def test_delete_my_data_wipes_each_charger_or_says_why_not(
    open_context: Any, stack: Any, shots: Any
) -> None:
    """R35 as Carol, on her own two chargers: one restarts wiped, which no other flow sees."""
    carol = stack.chargers["CAROL-1"]
    stack.do(lambda: stack.hw("CAROL-1").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
    ctx = open_context()
    page = log_in(ctx, stack, "carol@example.com")
    page.goto(f"{stack.url}/app/chargers/CAROL-1")
    wait_text(page, "#live", "Car plugged in")
    page.locator("#start-1").click()
    wait_text(page, "#live", "Waiting for your charging hours")  # a session, held back by the hours
    stack.do(lambda: stack.hw("CAROL-2").network.set_up(False))
    stack.until(lambda: not stack.app.ocpp.is_connected("CAROL-2"))

    page.goto(f"{stack.url}/app/privacy")
    check_forms(page)
    assert "CAROL-1, CAROL-2" in text(page)  # which chargers will be told to wipe themselves
    page.get_by_label(re.compile("Type DELETE")).fill("delete")
    page.get_by_role("button", name="Delete my personal data").click()
    assert_next_to_field(page, "#confirm", "err-confirm", "Nothing deleted: type DELETE")
    assert page.get_by_label(re.compile("Type DELETE")).input_value() == "delete"
    page.get_by_label(re.compile("Type DELETE")).fill("DELETE")
    page.get_by_role("button", name="Delete my personal data").click()
    # Neither charger could: each says why and what to do; nothing went on the platform.
    expect(page.get_by_role("alert")).to_contain_text(
        "your account, sessions and cards are still here"
    )
    assert page.locator("#answers li").all_inner_texts() == [
        "CAROL-1 refused because it is charging (a charger never wipes itself during a session)."
        " Stop the session on its page, then delete again.",
        "CAROL-2 is offline, so it could not be asked."
        " Delete again once it is back online (its page says Online).",
    ]
    check_forms(page)  # the "anyway" box has its label and is on the way to the button
    shots(page, "not-wiped")
    assert stack.do(lambda: carol.boots) == 1  # the charging charger changed nothing

    # She stops the session, and goes ahead without the offline charger.
    page.goto(f"{stack.url}/app/chargers/CAROL-1")
    page.locator("#stop-1").click()
    stack.until(
        lambda: carol.station is not None and carol.station.connectors[1].tx_local_id is None
    )
    page.goto(f"{stack.url}/app/privacy")
    page.get_by_label(re.compile("Type DELETE")).fill("DELETE")
    page.get_by_role("button", name="Delete my personal data").click()
    page.get_by_label(re.compile("Delete my account anyway")).check()
    page.get_by_label(re.compile("Type DELETE")).fill("DELETE")
    page.get_by_role("button", name="Delete my personal data").click()
    expect(page.locator("main")).to_contain_text("Your personal data is deleted")
    answers = page.locator("#answers li").all_inner_texts()
    assert answers[0] == ("CAROL-1 wiped its data when you asked a moment ago.")
    assert answers[1].startswith("CAROL-2 is offline, so it could not be asked. It still holds")
    assert "factory reset on the charger itself" in answers[1]
    shots(page, "deleted")

    # The charger really wiped itself at its restart, and kept its security log (R37).
    stack.until(lambda: carol.boots == 2 and carol.security is not None)
    assert stack.do(lambda: carol.station.store.sessions()) == []
    log = stack.do(lambda: carol.security.log.entries())
    assert [e.tech_info for e in log if e.event == "FactoryReset"] == [
        "requested by the owner over OCPP"
    ]
    assert stack.do(lambda: stack.chargers["CAROL-2"].boots) == 1
    # Gone from the platform: she cannot log in, and her sessions are no longer there.
    page.goto(f"{stack.url}/app/login")
    page.get_by_label("E-mail address").fill("carol@example.com")
    page.get_by_label("Password").fill(stack.passwords["carol@example.com"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("wrong e-mail address or password")

    async def left() -> int:
        charger = await stack.app.store.chargers.credentials("CAROL-1")
        return len(await stack.app.store.transactions.of_charger(charger.id))

    assert stack.call(left()) == 0
    ctx.close()
