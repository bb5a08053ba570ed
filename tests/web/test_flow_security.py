"""The security log in Debian Chromium, at 1366 px and on a 390 px phone: a tamper alert, the
owner's own incident report and acknowledgement (R36, R37); and hand-made bad requests that
change nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from a11y import check_forms
from owner_app import assert_next_to_field, stack_wait, text
from playwright.sync_api import expect

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(stack_per_width: Any) -> Any:
    return stack_per_width  # each width from a fresh stack: the flows start from first use


def test_security_log_alerts_and_manual_report(context: Any, stack: Any, shots: Any) -> None:
    stack.do(lambda: stack.hw("HOME-1").simulated_tamper.trigger("front cover opened"))
    page = context.new_page()

    async def tamper_events() -> int:  # what the charger reported, as the platform stored it
        charger = await stack.app.store.chargers.credentials("HOME-1")
        events = await stack.app.store.history.security_events(charger.id)
        return sum(e["type"] == "TamperDetectionActivated" for e in events)

    stack_wait(lambda: stack.call(tamper_events()) > 0, 90)  # then the page, once
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    expect(page.locator("main")).to_contain_text("Security alert")
    shots(page, "alert")
    page.goto(f"{stack.url}/app")  # prominent on the home page too
    home_alert = page.locator(".charger-card", has_text="HOME-1").get_by_role("alert")
    assert "Security alert: 1 tamper or integrity event" in home_alert.inner_text()
    shots(page, "home-alert")
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    page.get_by_role("link", name=re.compile("tamper or integrity event")).click()
    # Read once the security page has loaded (the link's navigation may still be under way
    # when the click returns): wait for the evidence, never read a page half there.
    page.wait_for_url(re.compile(r"/security$"))
    alert = page.locator(".alert-event", has_text="tampered with the charger's enclosure")
    expect(alert.first).to_be_visible()
    check_forms(page)
    page.get_by_label("What happened").fill("")
    page.get_by_role("button", name="Record incident").click()  # required: the browser stops it
    assert page.url.endswith("/security")
    page.get_by_label("What happened").fill("Seal on the meter cover broken")
    page.get_by_label(re.compile("^When")).fill("2099-01-01T10:00")  # not yet: refused
    page.get_by_role("button", name="Record incident").click()
    assert_next_to_field(page, "#happened_at", "err-happened_at", "cannot be in the future")
    assert page.get_by_label("What happened").input_value() == "Seal on the meter cover broken"
    page.get_by_label(re.compile("^When")).fill("2026-11-23T19:05")
    page.get_by_role("button", name="Record incident").click()
    expect(page.get_by_role("status")).to_contain_text("recorded")
    row = page.locator("#events tbody tr", has_text="Seal on the meter cover broken")
    assert "Mon 23 Nov 2026 19:05" in row.inner_text()
    assert "alice@example.com" in row.inner_text()
    shots(page, "log")
    # The owner acknowledges the alerts: they stop standing; every event stays in the log.
    page.get_by_role("button", name="I have seen these alerts").click()
    expect(page.get_by_role("status")).to_contain_text("stay in the security log")
    expect(page.locator(".alert-event")).to_have_count(0)
    log = page.locator("#events").inner_text()
    assert "tampered with the charger's enclosure" in log and "seen by the owner" in log
    page.goto(f"{stack.url}/app")
    assert page.locator(".charger-card", has_text="HOME-1").get_by_role("alert").count() == 0
    page.close()


def test_garbage_forms_change_nothing(context: Any, stack: Any) -> None:
    """Hand-made bad requests get a clear refusal and leave everything as it was."""
    page = context.new_page()
    base = f"{stack.url}/app/chargers/HOME-1"

    async def counts() -> tuple[int, int, int]:
        charger = await stack.app.store.chargers.credentials("HOME-1")
        events = await stack.app.store.history.security_events(charger.id)
        commands = await stack.app.store.history.commands(charger.id)
        # Reading a page asks the charger (GetDefaultHours, logged like any API call): not a change.
        changes = [c for c in commands if not str(c["message_id"]).startswith("Get")]
        return charger.id, len(events), len(changes)

    before = stack.call(counts())
    post = page.request.post
    for url, form in (
        (f"{base}/hours", {"choice": "everything"}),
        (f"{base}/charge-now", {"connector": "abc"}),
        (f"{base}/skip-delay", {"connector": "0"}),
        (f"{base}/security", {"note": "x" * 201}),
        (f"{base}/firmware", {"release": "-1"}),
        (f"{base}/schedule/departure", {"at": "7", "energy_kwh": "1", "power_kw": "7"}),
        (f"{base}/schedule/departure", {"at": "07:00", "days": "9", "power_kw": "7"}),
        (f"{base}/tariff", {"base_p": "x"}),
        (f"{base}/schedule/windows", {"windows": "Funday 01:00-02:00"}),
        (f"{base}/schedule/windows", {"windows": "", "limit_a": "nan"}),
        (f"{base}/hours", {"choice": "custom", "windows": "x" * 20_001}),  # past the form's cap
        (f"{base}/tariff", {"preset": "octopus_go", "day_p": "30", "night_p": "-1"}),
        (f"{base}/tariff/agile", {"product": "AGILE-24-10-01", "region": "Z"}),
    ):
        r = post(url, form=form, max_redirects=0)
        assert r.status == 422, (url, r.status)
        assert "Nothing changed" in r.text() and "<h1>" in r.text()
    # Past a form's own cap, in words too (never the library's "String should have...").
    r = post(f"{base}/hours", form={"choice": "custom", "windows": "x" * 20_001})
    assert "that is too long: windows takes at most 20,000 characters" in r.text()
    for form, words in (  # an incident: each problem next to its field (422)
        ({"note": "tab\there"}, "Nothing recorded: the note is 1 to"),
        ({"note": "ok", "happened_at": "yesterday"}, "Nothing recorded: a date and time"),
        (
            {"note": "ok", "happened_at": "2099-01-01T10:00"},
            "Nothing recorded: the incident cannot be in the future",
        ),
    ):
        r = post(f"{base}/security", form=form, max_redirects=0)
        assert r.status == 422 and words in r.text(), form
    for url, form, words in ((f"{base}/stop", {"transaction": "999999"}, "not running"),):
        r = post(url, form=form, max_redirects=0)
        assert r.status == 303, url
        r = post(url, form=form)  # followed: the page says why
        assert words in r.text(), url
    # A cross-site form post is refused by the API's own check (the cookie is SameSite too).
    r = post(f"{base}/charge-now", form={"connector": "1"}, headers={"Origin": "http://evil"})
    assert r.status == 403
    assert stack.call(counts()) == before  # no event, no command: nothing half-applied
    assert page.request.get(f"{stack.url}/app/sessions/0").status == 404
    # Words in a link are never shown as ours.
    page.goto(f"{base}?problem=Call+0900+now&done=Call+0900+now")
    assert "0900" not in text(page)
    page.close()
