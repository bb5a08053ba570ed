"""The owner web app in a real browser (issue 6): each flow against a running stack — platform,
web app and three of our simulated charge points on loopback — asserting what the owner sees,
with screenshots kept in test-artifacts/web/, and every form's labels and keyboard use checked.

The tests run in file order on one stack (module scope): a charger's state carries from one flow
to the next as it would for an owner using the app.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from a11y import check_forms

from smartcharge.platform.store.history import Scope

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def context(browser: Any, stack: Any) -> Any:
    """Alice's browser (an owner of HOME-1 and HOME-2), logged in."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    log_in(ctx, stack, "alice@example.com").close()
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
    names = page.locator(".charger-card > h2 a").all_inner_texts()
    assert names == ["HOME-1", "HOME-2"]
    assert "owner" in page.locator(".who").inner_text()
    shots(page, "owner-home")
    # Another owner's charger does not exist for her.
    assert page.goto(f"{stack.url}/app/chargers/WORK-1").status == 404
    ctx.close()

    worker = browser.new_context()
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
    assert "Start sent" in page.get_by_role("status").inner_text()
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
    assert page.get_by_role("status").inner_text() == "Stop sent."
    wait_text(page, "#live", "Finished|Ready", 30)
    shots(page, "workplace-user-stopped")
    worker.close()

    # The workplace administrator answers for the workplace charger (by: administrator).
    admin = browser.new_context()
    page = log_in(admin, stack, "admin@acme.example")
    page.goto(f"{stack.url}/app/chargers/WORK-1/hours")
    page.get_by_role("button", name="Accept the default hours").click()
    assert page.get_by_role("status").inner_text() == "You accepted the default charging hours."
    assert "chosen by the administrator on" in text(page)
    admin.close()

    # On a phone: nothing on any page wider than the screen.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = log_in(phone, stack, "alice@example.com")
    for path in PAGES:
        page.goto(f"{stack.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        assert page.evaluate(ALL_TABS_ON_SCREEN), path  # no tab hidden off to the side
    shots(page, "phone-about")
    page.goto(f"{stack.url}/app/chargers/HOME-1/hours")
    shots(page, "phone-hours")
    phone.close()


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


def text(page: Any, selector: str = "main") -> str:
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
    # The typed windows are the advanced option. A bad line changes nothing, says which line.
    page.get_by_text("Advanced: type the windows").click()
    check_forms(page)
    page.get_by_label(re.compile("Your own hours")).fill("Mon 22:00-07:00\nsometimes")
    page.get_by_role("button", name="Save my hours").click()
    assert "line 2" in page.get_by_role("alert").inner_text()
    assert "Your charger's default charging hours" in text(page)  # still unanswered
    # Edit: her own hours, recorded with their time (after the warning, saved anyway).
    page.get_by_text("Advanced: type the windows").click()
    page.get_by_label(re.compile("Your own hours")).fill("Mon 23:00-06:00\nSat 10:00-14:00")
    page.get_by_role("button", name="Save my hours").click()
    assert (
        "No charging at all on Wed, Thu, Fri, Sun" in page.locator("#hours-warnings").inner_text()
    )
    page.get_by_role("button", name="Save these hours anyway").click()
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
    # Not answered yet: the first-use offer is on the charger's page too (R15).
    assert "choose your default charging hours" in page.locator("#first-use").inner_text()
    check_forms(page)
    page.locator("#start-1").click()
    assert "Start sent" in page.get_by_role("status").inner_text()
    page.evaluate("window.notReloaded = true")
    # Peak hours, default hours in force: the owner is told why and until when.
    # (the owner's hours are never called off-peak; the start says today, tomorrow or the date)
    wait_text(page, "#live", "Waiting for your charging hours: charging starts today at 22:00")
    assert page.evaluate("window.notReloaded === true")  # updated in place, no reload
    shots(page, "waiting")
    page.locator("#charge-now-1").click()
    assert "Charging now" in page.get_by_role("status").inner_text()
    state = wait_text(page, "#live", r"Charging at \d+(\.\d)? kW", 40)
    assert "You chose Charge now" in state
    shots(page, "charging")

    async def power_readings() -> int:  # a few seconds of charging for the curve
        found = await stack.app.store.history.sessions(Scope(everything=True), identity="HOME-1")
        values = await stack.app.store.history.meter_values(found[0]["id"])
        return sum(v["measurand"] == "Power.Active.Import" for v in values)

    stack_wait(lambda: stack.call(power_readings()) >= 4)
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
    # The countdown runs in the page from its end time (nothing pushed each second), and the
    # polite live region says the state, not the seconds.
    first = page.locator("#live .countdown").inner_text()
    page.wait_for_function(
        "t => document.querySelector('#live .countdown').innerText !== t", arg=first
    )
    assert not re.search(r"\d+ s", page.locator("#announce").inner_text())
    shots(page, "delay")
    page.locator("#skip-delay-1").click()
    assert page.get_by_role("status").inner_text() == "Random delay skipped."
    wait_text(page, "#live", r"Charging at \d+(\.\d)? kW", 40)

    # A grid event (DSR, R4) for the next half hour: shown with its end, and the owner opts out.
    app = stack.app

    async def post_event() -> str:
        agg = await app.store.accounts.login_record("grid@aggregator.example")
        charger = await app.store.chargers.credentials("HOME-2")
        request = DsrRequest("response", 6.0, stack.clock.now(), 1800)
        return await app.dsr.post(request, aggregator_id=agg[0].id, targets={"HOME-2": charger.id})

    stack.call(post_event())
    state = wait_text(page, "#live", "(reduced|Paused) by a grid event until 22:1")
    assert page.get_by_role("button", name="Opt out of this grid event").is_visible()
    shots(page, "grid-event")
    page.get_by_role("button", name="Opt out of this grid event").click()
    assert "opted out" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Opt out of this grid event").count() == 0
    page.close()


def test_departure_plan_and_tariff(context: Any, stack: Any, shots: Any) -> None:
    """Issue 13: tariffs with errors next to their fields and the form kept as typed; a
    departure planned in the cheap band with room for the random delay (R24), held by the
    charger as the owner's schedule."""
    page = context.new_page()
    page.goto(f"{stack.url}/app/chargers/HOME-1/schedule")
    assert "No plan" in text(page) and "No tariff" in text(page)
    assert "up to 10 min" in text(page)  # the random-delay status
    check_forms(page)
    # A bad tariff changes nothing, and comes back as typed with the problem by its field.
    page.get_by_label(re.compile(r"^Price")).fill("cheap")
    page.get_by_role("button", name="Save tariff").click()
    assert "Nothing changed" in page.get_by_role("alert").inner_text()
    assert "base price" in page.locator("#err-base_p").inner_text()
    assert page.get_by_label(re.compile(r"^Price")).input_value() == "cheap"
    assert "No tariff" in text(page)
    # Overlapping bands are refused, naming both lines.
    page.get_by_label(re.compile(r"^Price")).fill("30")
    page.get_by_label(re.compile("Time-of-use bands")).fill("00:30-04:30 7.5\n04:00-05:00 9")
    page.get_by_role("button", name="Save tariff").click()
    assert "band lines 1 and 2 overlap" in page.locator("#err-bands").inner_text()
    # A time-of-use tariff: cheap from 00:30 to 04:30.
    page.get_by_label(re.compile("Time-of-use bands")).fill("00:30-04:30 7.5")
    page.get_by_role("button", name="Save tariff").click()
    assert page.get_by_role("status").inner_text().startswith("Tariff saved (time-of-use).")
    # A bad departure field comes back next to itself, the rest as typed.
    page.get_by_label("Leave at").fill("07:00")
    page.get_by_label(re.compile("Energy to add")).fill("lots")
    page.get_by_role("button", name="Plan and send").click()
    assert "kWh to add" in page.locator("#err-energy_kwh").inner_text()
    assert page.get_by_label(re.compile("Energy to add")).input_value() == "lots"
    assert page.get_by_label("Leave at").input_value() == "07:00"
    check_forms(page)
    # Ready by 07:00 with 10 kWh at 7.4 kW on weekdays (Monday evening now): 81 min of
    # charging and 10 min of random delay fit in the cheap band, at its latest (02:30-04:30).
    page.get_by_label(re.compile("Energy to add")).fill("10")
    page.get_by_label(re.compile("Charging power")).fill("7.4")
    page.get_by_role("button", name="Plan and send").click()
    done = page.get_by_role("status").inner_text()
    assert "Plan sent to the charger. Expected 10 kWh by 04:01, about £0.75" in done, done
    assert page.locator("#promise").inner_text().startswith("Expected 10 kWh by 04:01")
    station = stack.chargers["HOME-1"].station
    held = [e for e in station.profiles if e.profile.id == 7101]
    assert len(held) == 1 and held[0].profile.purpose == "TxDefaultProfile"
    assert station.controls.profile_flags(7101).cause.value == "user_schedule"
    shots(page, "planned")
    page.get_by_role("button", name="Remove plan").click()
    assert page.get_by_role("status").inner_text().startswith("Plan removed")
    assert not [e for e in station.profiles if e.profile.id == 7101]
    page.close()


def test_energy_sessions_totals_charts_csv(context: Any, stack: Any, shots: Any) -> None:
    from datetime import datetime

    app = stack.app

    async def history() -> None:  # two sessions earlier in the year, as the charger sent them
        charger = await app.store.chargers.credentials("HOME-1")
        for month, kwh in ((1, 10), (6, 20)):
            at = datetime(2026, month, 15, 1, 0, tzinfo=stack.clock.now().tzinfo)
            tx = await app.store.transactions.start(
                charger.id, connector_id=1, id_tag="CARD-1", meter_start=0, started_at=at, at=at
            )
            stop = at.replace(hour=3)
            await app.store.transactions.stop(
                charger.id, tx, meter_stop=kwh * 1000, stopped_at=stop, at=stop
            )

    stack.call(history())
    page = context.new_page()
    page.goto(f"{stack.url}/app/energy")
    sessions = page.locator("#sessions tbody tr")
    assert sessions.count() == 4  # two today (HOME-1 stopped, HOME-2 running), two earlier
    assert page.locator("svg.chart rect.bar").count() == 12  # one bar a month
    total = float(page.locator("#total-12").inner_text().split()[0])
    assert total >= 30.0
    # HOME-1 has a tariff: 10 kWh between 01:00 and 03:00 at 7.5 p/kWh costs £0.75.
    january = page.locator("#sessions tbody tr", has_text="Thu 15 Jan 2026")
    assert january.locator("td").nth(5).inner_text() == "£0.75"
    check_forms(page)
    shots(page, "year")
    # A custom period: January alone.
    page.get_by_label("Per", exact=True).select_option("custom")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label(re.compile("^Until")).fill("2026-02-01")
    page.get_by_role("button", name="Show").click()
    assert page.locator("#period-total").inner_text() == "10.00 kWh"
    # Each view downloads as CSV (the REST API's own CSV, with the same cookie).
    with page.expect_download() as got:
        page.get_by_role("link", name="Download CSV").nth(1).click()
    csv = Path(got.value.path()).read_text()
    assert csv.splitlines()[0] == "start,end,sessions,energy_wh"
    assert "2026-01-01,2026-02-01,1,10000.0" in csv
    # Per ISO week (from Monday): the January session counts in the week of Mon 12 Jan.
    page.get_by_label("Per", exact=True).select_option("week")
    page.get_by_label("From").fill("2026-01-05")
    page.get_by_label(re.compile("^Until")).fill("2026-01-19")
    page.get_by_role("button", name="Show").click()
    weeks = [r.split("\t") for r in page.locator("#totals tbody tr").all_inner_texts()]
    assert weeks == [
        ["2026-01-05", "2026-01-12", "0", "0.00"],
        ["2026-01-12", "2026-01-19", "1", "10.00"],
    ]
    with page.expect_download() as got:  # the sessions as the table shows them, cost and all
        page.get_by_role("link", name="Download CSV").nth(2).click()
    table = Path(got.value.path()).read_text().splitlines()
    assert table[0] == "charger,started_at,stopped_at,duration_s,energy_wh,cost_p"
    assert "HOME-1,2026-01-15T01:00:00Z,2026-01-15T03:00:00Z,7200.0,10000.0,75.0" in table
    assert len(table) == 1 + sessions.count()
    # A session of today: its power curve at one reading a second.
    page.goto(f"{stack.url}/app/energy?charger=HOME-1")
    page.locator("#sessions tbody tr", has_text="Mon 23 Nov 2026").first.locator("a").click()
    page.wait_for_url(re.compile(r"/app/sessions/\d+$"))
    assert page.locator("svg.chart polyline").count() == 1
    caption = page.locator("figcaption").inner_text()
    assert caption.startswith("The power the car drew, in kW, over the session (UK time)")
    readings = int(re.search(r"(\d+) readings", caption)[1])  # type: ignore[index]
    assert readings >= 3  # a short session: one power reading a second while it ran
    with page.expect_download() as got:
        page.get_by_role("link", name="Download the power readings (CSV)").click()
    lines = Path(got.value.path()).read_text().splitlines()
    assert lines[0] == "timestamp,power_w" and len(lines) == readings + 1
    shots(page, "session-curve")
    page.close()


def test_firmware_offer_install_progress(
    browser: Any, context: Any, stack: Any, shots: Any
) -> None:
    ops = browser.new_context()
    page = log_in(ops, stack, "ops@example.com")
    check_forms(page)
    release = stack.release("2.0.0")  # signed by the manufacturer, served on loopback
    page.get_by_label("Version").fill("2.0.0")
    page.get_by_label(re.compile("^Model")).fill("AC-7")
    page.get_by_label(re.compile("^Download URL")).fill(release["location"])
    page.get_by_label(re.compile("^Signing certificate")).fill(release["signing_certificate"])
    page.get_by_label(re.compile("^Signature")).fill(release["signature"])
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_role("status").inner_text() == "Release 2.0.0 published."
    ops.close()

    page = context.new_page()
    page.goto(f"{stack.url}/app")
    assert "Software update 2.0.0 available" in text(page)  # announced (R30)
    page.get_by_role("link", name="Software update 2.0.0 available").first.click()
    assert "Update available: 2.0.0" in text(page)
    # What the charger's own update check found, next to what the operator published (R30).
    found = page.locator("#charger-found").inner_text()
    assert found.startswith("The charger found version 2.0.0 when it checked for updates on ")
    check_forms(page)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Install 2.0.0").click()
    assert "Update to 2.0.0 sent" in page.get_by_role("status").inner_text()
    # Progress follows the charger's status notifications, refreshed in place: it downloads,
    # checks the manufacturer's signature, installs into its other slot and restarts.
    page.evaluate("window.notReloaded = true")
    progress = wait_text(page, "#progress", "Installed", 60)
    for step in ("Downloading", "Signature checked: genuine", "Installing"):
        assert step in progress
    assert page.evaluate("window.notReloaded === true")
    shots(page, "installed")

    def running_new() -> bool:
        page.reload()
        return page.locator("#running-version").inner_text() == "2.0.0"

    stack_wait(running_new, 60)  # the new version, from the charger's boot after the install
    assert "No update available" in text(page)
    assert page.locator("#charger-found").count() == 0  # it runs what it found
    page.close()


def test_security_log_alerts_and_manual_report(context: Any, stack: Any, shots: Any) -> None:
    stack.do(lambda: stack.hw("HOME-1").simulated_tamper.trigger("front cover opened"))
    page = context.new_page()

    def tamper_alert() -> bool:
        page.goto(f"{stack.url}/app/chargers/HOME-1")
        return "Security alert" in text(page)

    stack_wait(tamper_alert)
    shots(page, "alert")
    page.goto(f"{stack.url}/app")  # prominent on the home page too
    home_alert = page.locator(".charger-card", has_text="HOME-1").get_by_role("alert")
    assert "Security alert: 1 tamper or integrity event" in home_alert.inner_text()
    shots(page, "home-alert")
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    page.get_by_role("link", name=re.compile("tamper or integrity event")).click()
    alerts = page.locator(".alert-event").all_inner_texts()
    assert any("tampered with the charger's enclosure" in a for a in alerts)
    check_forms(page)
    page.get_by_label("What happened").fill("")
    page.get_by_role("button", name="Record incident").click()  # required: the browser stops it
    assert page.url.endswith("/security")
    page.get_by_label("What happened").fill("Seal on the meter cover broken")
    page.get_by_label(re.compile("^When")).fill("2026-11-23T19:05")
    page.get_by_role("button", name="Record incident").click()
    assert "recorded" in page.get_by_role("status").inner_text()
    row = page.locator("#events tbody tr", has_text="Seal on the meter cover broken")
    assert "Mon 23 Nov 2026 19:05" in row.inner_text()
    assert "alice@example.com" in row.inner_text()
    shots(page, "log")
    # The owner acknowledges the alerts: they stop standing; every event stays in the log.
    page.get_by_role("button", name="I have seen these alerts").click()
    assert "stay in the security log" in page.get_by_role("status").inner_text()
    assert page.locator(".alert-event").count() == 0
    log = page.locator("#events").inner_text()
    assert "tampered with the charger's enclosure" in log and "seen by the owner" in log
    page.goto(f"{stack.url}/app")
    assert page.locator(".charger-card", has_text="HOME-1").get_by_role("alert").count() == 0
    page.close()


def stack_wait(predicate: Any, timeout_s: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


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
        (f"{base}/tariff", {"preset": "octopus_go", "day_p": "30", "night_p": "-1"}),
        (f"{base}/tariff/agile", {"product": "AGILE-24-10-01", "region": "Z"}),
    ):
        r = post(url, form=form, max_redirects=0)
        assert r.status == 422, (url, r.status)
        assert "Nothing changed" in r.text() and "<h1>" in r.text()
    refused = (
        (f"{base}/security", {"note": "tab\there"}, "Nothing recorded"),
        (f"{base}/security", {"note": "ok", "happened_at": "yesterday"}, "Nothing recorded"),
        (
            f"{base}/security",
            {"note": "ok", "happened_at": "2099-01-01T10:00"},
            "Nothing recorded: the incident cannot be in the future",
        ),
        (f"{base}/stop", {"transaction": "999999"}, "not running"),
        (f"{base}/schedule/windows", {"windows": "Funday 01:00-02:00"}, "line 1"),
    )
    for url, form, words in refused:
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


def test_information_page(browser: Any, stack: Any, shots: Any) -> None:
    ctx = browser.new_context()
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
    browser: Any, stack: Any, shots: Any
) -> None:
    """R35 as Carol, on her own two chargers: one restarts wiped, which no other flow sees."""
    carol = stack.chargers["CAROL-1"]
    stack.do(lambda: stack.hw("CAROL-1").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
    ctx = browser.new_context()
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
    assert "Nothing deleted" in page.get_by_role("alert").inner_text()
    page.get_by_label(re.compile("Type DELETE")).fill("DELETE")
    page.get_by_role("button", name="Delete my personal data").click()
    # Neither charger could: each says why and what to do; nothing went on the platform.
    assert "your account, sessions and cards are still here" in (
        page.get_by_role("alert").inner_text()
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
    assert "Your personal data is deleted" in text(page)
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
    assert page.get_by_role("alert").inner_text() == "wrong e-mail address or password"

    async def left() -> int:
        charger = await stack.app.store.chargers.credentials("CAROL-1")
        return len(await stack.app.store.transactions.of_charger(charger.id))

    assert stack.call(left()) == 0
    ctx.close()


def test_nothing_was_fetched_from_the_internet(browser: Any, stack: Any) -> None:
    """Every page of every flow above loaded with all but loopback refused: nothing asked."""
    page = browser.new_context().new_page()
    page.goto(f"{stack.url}/app/login")
    assert page.locator("link[rel=stylesheet]").get_attribute("href") == "/app/static/app.css"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert browser.outside == []
    page.context.close()


def test_a_bad_custom_period_is_refused_in_words_never_replaced(context: Any, stack: Any) -> None:
    """Issue 13 item 4: a period ending before it starts, or not a date, shows no totals and
    says why next to its fields, the dates as typed; never the whole year in its place."""
    page = context.new_page()
    for query, words in (
        ("period=day&since=2026-11-20&until=2026-11-10", "until must be after since"),
        ("period=day&since=2026-13-45&until=2026-11-10", "From: a date like 2026-01-31"),
    ):
        r = page.goto(f"{stack.url}/app/energy?{query}")
        assert r is not None and r.status == 422
        assert words in page.locator("#err-period").inner_text()
        assert page.locator("#period-total").count() == 0
        assert page.get_by_label("Until (not included)").input_value() == "2026-11-10"
    page.close()
