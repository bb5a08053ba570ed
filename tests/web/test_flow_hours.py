"""Default charging hours in Debian Chromium, at 1366 px and on a 390 px phone (issue 6 item 2,
issue 13 item 4): the first-use offer (R15), hours picked with day toggles and time pickers, a
warning before hours in peak time or leaving a day with no charging, typed windows as the
advanced option with each problem next to its field and nothing changed, removing them (R16)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from a11y import check_forms
from owner_app import assert_next_to_field, log_in, text
from playwright.sync_api import expect

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(stack_per_width: Any) -> Any:
    return stack_per_width  # each width from a fresh stack: the flows start from first use


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
    # Picked on a phone-friendly form: one window inside peak hours is not saved without a
    # word; the owner is told, keeps what was picked, and may save anyway or change it.
    for day in ("Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        page.locator("label.toggle", has_text=day).click()  # only Monday stays on
    page.get_by_label("From", exact=True).fill("17:00")
    page.get_by_label(re.compile("^To")).fill("19:00")
    page.get_by_role("button", name="Save these hours", exact=True).click()
    warned = page.locator("#hours-warnings").inner_text()
    assert "peak hours on Mon" in warned
    assert "No charging at all on Tue, Wed, Thu, Fri, Sat, Sun" in warned
    assert page.get_by_label("From", exact=True).input_value() == "17:00"  # as picked
    assert "Your charger's default charging hours" in text(page)  # nothing saved yet
    check_forms(page)
    # No day picked: said next to the days, nothing saved.
    page.locator("label.toggle", has_text="Mon").click()
    page.get_by_role("button", name="Save these hours", exact=True).click()
    assert_next_to_field(page, "fieldset.days", "err-days", "Pick at least one day")
    assert "Your charger's default charging hours" in text(page)
    # The typed windows are the advanced option. A bad line changes nothing; the problem is
    # next to the field, which keeps what was typed.
    page.get_by_text("Advanced: type the windows").click()
    check_forms(page)
    typed = page.get_by_label(re.compile("Your own hours"))
    typed.fill("Mon 22:00-07:00\nsometimes")
    with page.expect_response(re.compile(r"/hours$")) as answer:
        page.get_by_role("button", name="Save my hours").click()
    assert answer.value.status == 422
    assert_next_to_field(page, "#windows", "err-windows", "Line 2: write a window as")
    assert typed.input_value() == "Mon 22:00-07:00\nsometimes"  # as typed, still open
    assert "windows-help" in (typed.get_attribute("aria-describedby") or "")
    assert "Your charger's default charging hours" in text(page)  # still unanswered
    check_forms(page)
    # Far too much typed: refused in plain words, not the library's.
    typed.fill("Mon 22:00-07:00\n" * 400)  # 6,400 characters
    page.get_by_role("button", name="Save my hours").click()
    assert_next_to_field(
        page, "#windows", "err-windows", "That is too long: at most 5,000 characters"
    )
    assert "Your charger's default charging hours" in text(page)
    # Edit: her own hours, recorded with their time (after the warning, saved anyway).
    page.get_by_label(re.compile("Your own hours")).fill("Mon 23:00-06:00\nSat 10:00-14:00")
    page.get_by_role("button", name="Save my hours").click()
    assert (
        "No charging at all on Wed, Thu, Fri, Sun" in page.locator("#hours-warnings").inner_text()
    )
    page.get_by_role("button", name="Save these hours anyway").click()
    expect(page.get_by_role("status")).to_have_text("Your charging hours are set.")
    main = text(page)
    assert "your own hours" in main and "chosen by the owner on Mon 23 Nov 2026" in main
    assert "Mon 23:00-06:00" in main and "Sat 10:00-14:00" in main
    shots(page, "custom")
    # Later (R16): remove them altogether; the picture shows no charging window.
    page.get_by_role("button", name="Remove default hours").click()
    expect(page.get_by_role("status")).to_have_text("Default charging hours removed.")
    assert "no default hours" in text(page)
    assert page.locator("svg.chart rect.charge").count() == 0
    page.close()
