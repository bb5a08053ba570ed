"""While the charger cannot trust its clock (booted without a real-time clock, no NTP, no central
system yet) the default hours and the owner's schedule wait, so R13-R17 can never let it charge in
peak hours on a guess; "charge now" (R18) and removed default hours (R15, R16) still charge, so the
owner is never left unable to charge. The clock is trusted once NTP or the central system set it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from smartcharge.chargepoint.charging import ConnectorInput, decide
from smartcharge.chargepoint.clock_trust import ClockTrust, kernel_synchronised
from smartcharge.chargepoint.store import Store
from smartcharge.chargepoint.system_time import OFFSET_KEY, AdjustedClock, TimeSync
from smartcharge.regulations import Cause, default_schedule
from smartcharge.sim.clock import ManualClock

SATURDAY_NOON = datetime(2026, 6, 6, 11, 0, tzinfo=UTC)  # inside the default hours
CHARGING = ConnectorInput(charging=True, hardware_max_a=32.0)


def test_R17_an_untrusted_clock_waits_even_inside_the_default_hours() -> None:
    hours = default_schedule(600)
    trusted = decide(SATURDAY_NOON, {1: CHARGING}, default_hours=hours)[1]
    assert trusted.limit_a == 32.0 and trusted.cause is Cause.DEFAULT_HOURS
    d = decide(SATURDAY_NOON, {1: CHARGING}, default_hours=hours, clock_trusted=False)[1]
    assert d.limit_a == 0 and d.reason == "waiting for the clock to be set"


def test_R18_charge_now_and_R16_removed_default_hours_charge_with_an_untrusted_clock() -> None:
    now = ConnectorInput(charging=True, hardware_max_a=32.0, charge_now=True)
    d = decide(SATURDAY_NOON, {1: now}, default_hours=default_schedule(600), clock_trusted=False)[1]
    assert d.limit_a == 32.0 and d.cause is Cause.OWNER_OVERRIDE
    removed = decide(SATURDAY_NOON, {1: CHARGING}, default_hours=None, clock_trusted=False)[1]
    assert removed.limit_a == 32.0


def test_trust_comes_from_ntp_or_the_central_system_and_stays_for_the_boot() -> None:
    synced = [False]
    trust = ClockTrust(always=False, synchronised=lambda: synced[0])
    assert not trust.trusted()
    synced[0] = True
    assert trust.trusted()
    synced[0] = False  # NTP lost later: the clock was right and drifts slowly
    assert trust.trusted()
    other = ClockTrust(always=False, synchronised=lambda: False)
    other.central_time_seen()
    assert other.trusted()
    assert ClockTrust(always=True, synchronised=lambda: False).trusted()
    assert isinstance(kernel_synchronised(), bool)  # this machine's kernel answers, either way


def _sync(tmp_path: Path, trust: ClockTrust, *, ntp: bool) -> tuple[TimeSync, AdjustedClock]:
    clock = AdjustedClock(ManualClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC)))
    store = Store(tmp_path / "cp.sqlite")
    store.save_setting(OFFSET_KEY, "3600.0")  # a correction from an earlier boot
    sync = TimeSync(
        clock,
        store,
        record=lambda *_: None,
        invalid=lambda _: None,
        threshold_s=5,
        enabled=True,
        on_plausible=trust.central_time_seen,
        authoritative=lambda: ntp,
    )
    sync.restore()
    return sync, clock


def test_the_central_systems_time_makes_the_clock_trusted_and_a_bad_one_does_not(
    tmp_path: Path,
) -> None:
    trust = ClockTrust(always=False, synchronised=lambda: False)
    sync, clock = _sync(tmp_path, trust, ntp=False)
    assert clock.offset_s == 3600.0
    assert not sync.central_time("1970-01-01T00:00:00Z")  # refused: implausible
    assert not trust.trusted()
    assert sync.central_time("2026-06-01T12:00:00Z")
    assert trust.trusted() and clock.now() == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_with_ntp_synchronised_the_system_clock_is_the_authority(tmp_path: Path) -> None:
    trust = ClockTrust(always=False, synchronised=lambda: True)
    sync, clock = _sync(tmp_path, trust, ntp=True)
    assert clock.offset_s == 0.0  # no correction from an earlier boot
    assert not sync.central_time("2026-06-01T12:00:00Z")  # plausible, but corrects nothing
    assert clock.offset_s == 0.0 and trust.trusted()
