"""A charging session's flows in Debian Chromium, at 1366 px and on a 390 px phone, in file
order on one stack: start, waiting for the hours, Charge now, stop; the random delay and
skipping it; a grid event the owner opts out of (the button follows the charger's report, and
the rate rises); the tariff, a departure plan and typed hours; the energy page, its totals,
charts and CSV."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from a11y import check_forms
from owner_app import assert_next_to_field, power_readings_w, stack_wait, text, wait_text
from playwright.sync_api import expect

from smartcharge.regulations import UK_TZ as UK

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(stack_per_width: Any) -> Any:
    return stack_per_width  # each width from a fresh stack: the flows start from first use


def test_live_page_start_waiting_charge_now_stop(context: Any, stack: Any, shots: Any) -> None:
    stack.do(lambda: stack.hw("HOME-1").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
    page = context.new_page()
    page.goto(f"{stack.url}/app/chargers/HOME-1")
    wait_text(page, "#live", "Car plugged in")
    # Not answered yet: the first-use offer is on the charger's page too (R15).
    assert "choose your default charging hours" in page.locator("#first-use").inner_text()
    check_forms(page)
    page.locator("#start-1").click()
    expect(page.get_by_role("status")).to_contain_text("Start sent")
    page.evaluate("window.notReloaded = true")
    # Peak hours, default hours in force: the owner is told why and until when.
    # (the owner's hours are never called off-peak; the start says today, tomorrow or the date)
    wait_text(page, "#live", "Waiting for your charging hours: charging starts today at 22:00")
    assert page.evaluate("window.notReloaded === true")  # updated in place, no reload
    shots(page, "waiting")
    page.locator("#charge-now-1").click()
    expect(page.get_by_role("status")).to_contain_text("Charging now")
    state = wait_text(page, "#live", r"Charging at \d+(\.\d)? kW", 40)
    assert "You chose Charge now" in state
    shots(page, "charging")

    # A few seconds of charging for the curve.
    stack_wait(lambda: len(power_readings_w(stack, "HOME-1")) >= 4)
    page.locator("#stop-1").click()
    expect(page.get_by_role("status")).to_have_text("Stop sent.")
    wait_text(page, "#live", "Finished|Ready", 30)
    page.close()


def test_random_delay_skip_and_grid_event(context: Any, stack: Any, shots: Any) -> None:
    from smartcharge.platform.dsr import DsrRequest

    page = context.new_page()
    # HOME-2 without default hours (R16), so it may charge now, after its random delay.
    page.goto(f"{stack.url}/app/chargers/HOME-2/hours")
    page.get_by_role("button", name="Remove default hours").click()
    expect(page.get_by_role("status")).to_have_text("Default charging hours removed.")
    stack.do(lambda: stack.hw("HOME-2").plug(1, battery_kwh=60, soc=20, max_power_w=7400))
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
    expect(page.get_by_role("status")).to_have_text("Random delay skipped.")
    wait_text(page, "#live", r"Charging at \d+(\.\d)? kW", 40)

    # A grid event (DSR, R4) for the next half hour: shown with its end, and the owner opts out.
    app = stack.app

    async def post_event() -> str:
        agg = await app.store.accounts.login_record("grid@aggregator.example")
        charger = await app.store.chargers.credentials("HOME-2")
        request = DsrRequest("response", 6.0, stack.clock.now(), 1800)
        return await app.dsr.post(request, aggregator_id=agg[0].id, targets={"HOME-2": charger.id})

    stack.call(post_event())
    # Shown as the charger reports it: one event, one end time (the charger's), on the card and
    # in the socket's state alike; the charger's meter shows the rate held at 6 A a phase.
    events = stack.do(lambda: stack.chargers["HOME-2"].station.controls.dsr_events())
    assert len(events) == 1
    ends = events[0].end.astimezone(UK).strftime("%H:%M")
    wait_text(page, "#live", f"(reduced|Paused) by a grid event until {ends}")
    assert page.locator(".grid-event").count() == 1
    assert page.locator(".grid-event h2").inner_text() == f"Grid event until {ends}"
    held_w = 6 * 250 * stack.chargers["HOME-2"].station.phases  # 6 A a phase, at most 250 V
    stack_wait(lambda: power_readings_w(stack, "HOME-2")[-1] <= held_w, 60)
    opt_out = page.get_by_role("button", name="Opt out of this grid event")
    shots(page, "grid-event")
    opt_out.click()
    expect(page.get_by_role("status")).to_contain_text("opted out")
    # The button goes because the charger says it opted out; the card says so.
    expect(page.locator(".grid-event")).to_contain_text("You opted out")
    expect(opt_out).to_have_count(0)
    # Going back up is a relevant time (R24): the charger's random delay runs first, and the
    # owner may skip it (R25). Then the charger's meter values climb back over 6 A a phase.
    charger = stack.chargers["HOME-2"].station

    def socket() -> Any:  # read on the stack's loop (the charger is not thread-safe)
        return charger.state()[1]

    stack.until(lambda: socket()["random_delay_remaining_s"] > 0 or socket()["limit_a"] > 6, 60)
    if stack.do(lambda: socket()["random_delay_remaining_s"]) > 0:
        page.locator("#skip-delay-1").click()
        expect(page.get_by_role("status")).to_have_text("Random delay skipped.")
    stack_wait(lambda: power_readings_w(stack, "HOME-2")[-1] > held_w * 1.2, 60)
    wait_text(page, "#live", r"Charging at \d+(\.\d)? kW\s", 40)
    assert "grid event until" not in text(page, "#live .connector")
    shots(page, "opted-out")
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
    expect(page.get_by_role("alert")).to_contain_text("Nothing changed")
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
    expect(page.get_by_role("status")).to_contain_text("Tariff saved (time-of-use).")
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
    expect(page.get_by_role("status")).to_contain_text(
        "Plan sent to the charger. Expected 10 kWh by 04:01, about £0.75"
    )
    assert page.locator("#promise").inner_text().startswith("Expected 10 kWh by 04:01")
    station = stack.chargers["HOME-1"].station
    held = [e for e in station.profiles if e.profile.id == 7101]
    assert len(held) == 1 and held[0].profile.purpose == "TxDefaultProfile"
    assert station.controls.profile_flags(7101).cause.value == "user_schedule"
    shots(page, "planned")
    page.get_by_role("button", name="Remove plan").click()
    expect(page.get_by_role("status")).to_contain_text("Plan removed")
    assert not [e for e in station.profiles if e.profile.id == 7101]
    # The hours typed by hand (advanced): a bad line, or far too much, comes back next to the
    # field as typed, in plain words; the charger's schedule is not touched.
    windows = page.get_by_label(re.compile("^One window a line"))
    for typed, words in (
        ("Mon 00:30-04:30\nFunday 01:00-02:00", "Line 2: write a window as"),
        ("Mon 00:30-04:30\n" * 400, "That is too long: at most 5,000 characters"),
    ):
        windows.fill(typed)
        page.get_by_role("button", name="Send schedule").click()
        assert_next_to_field(page, "#sched-windows", "err-windows", words)
        assert windows.input_value() == typed
        assert "No hours of your own" in text(page)
    assert stack.do(lambda: station.controls.user_schedule()) is None
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
    page.wait_for_url(re.compile(r"period=custom"))  # the new page, not the year's still showing
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
    page.wait_for_url(re.compile(r"period=week"))
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
