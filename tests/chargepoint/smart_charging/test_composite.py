"""The composite schedule against hand-worked cases; each case writes its arithmetic out.

Periods are written (offset from the window start in s, limit). Unless said otherwise limits are
in A and numberPhases is the default 3.
"""

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from smartcharge.chargepoint.smart_charging import (
    ChargingProfile,
    CompositeSchedule,
    Installed,
    InstalledProfile,
    Purpose,
    Unit,
    charge_point_cap,
    charging_schedule,
    composite_response,
    composite_schedule,
    limit_at,
    parse_profile,
    share,
)
from smartcharge.ocpp.schemas import validate_response

BST = timezone(timedelta(hours=1), "BST")
H = 3600


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def prof(
    id: int,
    periods: Sequence[tuple[float, ...]],
    *,
    purpose: Purpose = "TxDefaultProfile",
    stack: int = 0,
    kind: str = "Absolute",
    start: str | None = "2026-01-10T00:00:00Z",
    recurrency: str | None = None,
    duration: int | None = None,
    unit: str = "A",
    valid_from: str | None = None,
    valid_to: str | None = None,
    tx: int | None = None,
    min_rate: float | None = None,
) -> ChargingProfile:
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": p[0], "limit": p[1], **({"numberPhases": p[2]} if len(p) > 2 else {})}
            for p in periods
        ],
    }
    d: dict[str, Any] = {
        "chargingProfileId": id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    }
    for key, value in [("recurrencyKind", recurrency), ("validFrom", valid_from)]:
        if value is not None:
            d[key] = value
    if valid_to is not None:
        d["validTo"] = valid_to
    if tx is not None:
        d["transactionId"] = tx
    if start is not None and kind != "Relative":
        schedule["startSchedule"] = start
    if duration is not None:
        schedule["duration"] = duration
    if min_rate is not None:
        schedule["minChargingRate"] = min_rate
    return parse_profile(d)


def on(connector: int, *profiles: ChargingProfile) -> list[InstalledProfile]:
    return [InstalledProfile(connector, p) for p in profiles]


def pairs(s: CompositeSchedule) -> list[tuple[int, float | None]]:
    return [(p.start_period_s, p.limit) for p in s.periods]


def test_overlapping_stack_levels() -> None:
    # level 0: 16 A from 00:00, for ever
    # level 1: from 02:00, 10 A then 20 A after 1 h; duration 2 h (ends 04:00)
    # level 2: from 02:30, 8 A for 30 min (ends 03:00)
    # Window 01:00-05:00 (offsets from 01:00):
    #   01:00 16 (only level 0)                          0
    #   02:00 10 (level 1, first period)              3600
    #   02:30  8 (level 2 is the highest)             5400
    #   03:00 20 (level 2 over; level 1 second period) 7200 -- higher level wins even when larger
    #   04:00 16 (level 1's duration over)           10800
    profiles = on(
        0,
        prof(1, [(0, 16)]),
        prof(2, [(0, 10), (H, 20)], stack=1, start="2026-01-10T02:00:00Z", duration=2 * H),
        prof(3, [(0, 8)], stack=2, start="2026-01-10T02:30:00Z", duration=H // 2),
    )
    s = composite_schedule(profiles, 1, utc(2026, 1, 10, 1), 4 * H)
    assert pairs(s) == [(0, 16), (3600, 10), (5400, 8), (7200, 20), (10800, 16)]
    assert s.start == utc(2026, 1, 10, 1) and s.duration_s == 4 * H and s.unit == "A"


def test_tx_profile_overrides_tx_default_whatever_the_stack_level() -> None:
    # TxDefault (connector 0, level 5): 32 A.  TxProfile (connector 1, level 0, transaction 7):
    # Relative, 10 A for 1 h from the transaction start at 10:00.
    # Window 09:00-12:00: 09:00 32 (0), 10:00 10 (3600), 11:00 32 again (7200).
    profiles = [
        *on(0, prof(1, [(0, 32)], stack=5)),
        *on(1, prof(2, [(0, 10)], purpose="TxProfile", kind="Relative", duration=H, tx=7)),
    ]
    start, tx_start = utc(2026, 1, 10, 9), utc(2026, 1, 10, 10)
    s = composite_schedule(profiles, 1, start, 3 * H, tx_start=tx_start, tx_id=7)
    assert pairs(s) == [(0, 32), (3600, 10), (7200, 32)]
    # Another transaction (8) or none at all: the TxProfile is not for it.
    assert pairs(composite_schedule(profiles, 1, start, 3 * H, "A", tx_start, 8)) == [(0, 32)]
    assert pairs(composite_schedule(profiles, 1, start, 3 * H)) == [(0, 32)]
    # Connector 2 never sees connector 1's TxProfile.
    assert pairs(composite_schedule(profiles, 2, start, 3 * H, "A", tx_start, 7)) == [(0, 32)]


def test_an_absolute_tx_profile_applies_from_the_transaction_start() -> None:
    # TxProfile Absolute from 09:00, 10 A; default 32 A; transaction from 10:00.
    # Window 09:00-11:00: 32 until the transaction starts (3600), then 10.
    profiles = [
        *on(0, prof(1, [(0, 32)])),
        *on(1, prof(2, [(0, 10)], purpose="TxProfile", start="2026-01-10T09:00:00Z")),
    ]
    s = composite_schedule(profiles, 1, utc(2026, 1, 10, 9), 2 * H, "A", utc(2026, 1, 10, 10))
    assert pairs(s) == [(0, 32), (3600, 10)]


def test_connector_default_beats_charge_point_default_at_the_same_level() -> None:
    # Level 1 on connector 0: 20 A; level 1 on connector 1: 12 A; level 2 on connector 0: 25 A.
    # Connector 1: 12 A while level 2 is not active (the connector's own at the same level),
    # but the level-2 charge-point default from 01:00 is higher still: 25 A.
    profiles = [
        *on(0, prof(1, [(0, 20)], stack=1)),
        *on(1, prof(2, [(0, 12)], stack=1)),
        *on(0, prof(3, [(0, 25)], stack=2, start="2026-01-10T01:00:00Z")),
    ]
    assert pairs(composite_schedule(profiles, 1, utc(2026, 1, 10), 2 * H)) == [(0, 12), (3600, 25)]
    assert pairs(composite_schedule(profiles, 2, utc(2026, 1, 10), 2 * H)) == [(0, 20), (3600, 25)]


def test_recurring_daily_across_midnight() -> None:
    # Level 1 (connector 1): Daily from 2026-01-05 22:00 UTC, 16 A then 32 A after 4 h (02:00),
    # duration 8 h (to 06:00). Level 0 (connector 0): 10 A.  Window Sat 10 Jan 20:00 for 12 h:
    #   20:00 10 (0)   22:00 16 (7200)   02:00 32 (21600)   06:00 10 (36000)
    profiles = [
        *on(0, prof(1, [(0, 10)])),
        *on(
            1,
            prof(
                2,
                [(0, 16), (4 * H, 32)],
                stack=1,
                kind="Recurring",
                recurrency="Daily",
                start="2026-01-05T22:00:00Z",
                duration=8 * H,
            ),
        ),
    ]
    s = composite_schedule(profiles, 1, utc(2026, 1, 10, 20), 12 * H)
    assert pairs(s) == [(0, 10), (7200, 16), (21600, 32), (36000, 10)]
    # Starting in the middle of a recurrence (03:00 Sunday), the night goes on and repeats:
    #   03:00 32 (0)   06:00 10 (3 h)   22:00 16 (19 h)   02:00 32 (23 h)   06:00 10 (27 h)
    s = composite_schedule(profiles, 1, utc(2026, 1, 11, 3), 30 * H)
    assert pairs(s) == [(0, 32), (3 * H, 10), (19 * H, 16), (23 * H, 32), (27 * H, 10)]


def test_recurring_does_not_apply_before_its_start_schedule() -> None:
    # Daily from Sat 10 Jan 12:00; a window from 10:00 sees no limit before 12:00.
    daily = prof(1, [(0, 16)], kind="Recurring", recurrency="Daily", start="2026-01-10T12:00:00Z")
    s = composite_schedule(on(0, daily), 1, utc(2026, 1, 10, 10), 4 * H)
    assert pairs(s) == [(0, None), (7200, 16)]


# Recurrence runs in elapsed real time: every 86 400 s from startSchedule, whatever the clocks do.
OFF_PEAK = prof(
    1,
    [(0, 32), (8 * H, 6)],  # 32 A for 8 h, then 6 A until the next day's start
    kind="Recurring",
    recurrency="Daily",
    start="2026-03-27T23:00:00Z",  # Friday 23:00 GMT (UK clock 23:00)
)


def test_daily_recurrence_across_the_start_of_bst() -> None:
    # Clocks go forward on Sunday 29 March 2026 at 01:00 GMT (to 02:00 BST).
    # Recurrences start at Sat 28 23:00Z (23:00 GMT) and Sun 29 23:00Z (= Mon 00:00 BST).
    # Window Sat 28 22:00Z for 48 h:
    #   22:00Z  6 (tail of Friday's)                          0
    #   23:00Z 32 (Sat 23:00 GMT .. Sun 07:00Z = 08:00 BST)    3600
    #   07:00Z  6                                             32400  (= 3600 + 8 h)
    #   23:00Z 32 (Sun 23:00Z = Mon 00:00 BST)                 90000  (= 3600 + 24 h)
    #   07:00Z  6 (Mon 08:00 BST)                             118800
    s = composite_schedule(on(0, OFF_PEAK), 1, utc(2026, 3, 28, 22), 48 * H)
    assert pairs(s) == [(0, 6), (3600, 32), (32400, 6), (90000, 32), (118800, 6)]
    # In UK clock time the window moved an hour later: at 23:30 BST on Sunday it has not begun,
    # at 00:30 BST on Monday it has.
    assert limit_at(on(0, OFF_PEAK), 1, datetime(2026, 3, 29, 23, 30, tzinfo=BST)) == 6
    assert limit_at(on(0, OFF_PEAK), 1, datetime(2026, 3, 30, 0, 30, tzinfo=BST)) == 32
    # The night the clocks change it still lasts 8 real hours: 07:59:59Z (08:59:59 BST) is in it.
    assert limit_at(on(0, OFF_PEAK), 1, utc(2026, 3, 29, 6, 59, 59)) == 32
    assert limit_at(on(0, OFF_PEAK), 1, utc(2026, 3, 29, 7)) == 6


def test_daily_recurrence_across_the_end_of_bst() -> None:
    # Clocks go back on Sunday 25 October 2026 at 01:00 GMT (02:00 BST -> 01:00 GMT).
    # A Daily profile started at Fri 23 22:00Z (23:00 BST): recurrences at Sat 24 22:00Z
    # (23:00 BST) and Sun 25 22:00Z (22:00 GMT, one clock hour earlier).
    # Window Sat 24 21:00Z (22:00 BST) for 48 h:
    #   21:00Z  6 (0)   22:00Z 32 (3600)   06:00Z  6 (32400)
    #   Sun 22:00Z 32 (90000)   Mon 06:00Z  6 (118800)
    autumn = prof(
        2,
        [(0, 32), (8 * H, 6)],
        kind="Recurring",
        recurrency="Daily",
        start="2026-10-23T22:00:00Z",
    )
    s = composite_schedule(on(0, autumn), 1, utc(2026, 10, 24, 21), 48 * H)
    assert pairs(s) == [(0, 6), (3600, 32), (32400, 6), (90000, 32), (118800, 6)]
    gmt = timezone(timedelta(0), "GMT")
    assert limit_at(on(0, autumn), 1, datetime(2026, 10, 25, 21, 59, tzinfo=gmt)) == 6
    assert limit_at(on(0, autumn), 1, datetime(2026, 10, 25, 22, 30, tzinfo=gmt)) == 32


def test_weekly_recurrence_across_the_start_of_bst() -> None:
    # Weekly from Mon 23 March 00:00Z, 10 A for 24 h; level 0 default 20 A.
    # The next Monday starts at 30 March 00:00Z = 01:00 BST, so 00:30 BST Monday is still Sunday's
    # 20 A and 01:30 BST is 10 A.
    weekly = prof(
        2,
        [(0, 10)],
        stack=1,
        kind="Recurring",
        recurrency="Weekly",
        start="2026-03-23T00:00:00Z",
        duration=24 * H,
    )
    profiles = on(0, prof(1, [(0, 20)]), weekly)
    assert limit_at(profiles, 1, datetime(2026, 3, 30, 0, 30, tzinfo=BST)) == 20
    assert limit_at(profiles, 1, datetime(2026, 3, 30, 1, 30, tzinfo=BST)) == 10
    # Over two weeks from Sun 22 March 00:00Z: Mondays 24..48 h and 192..216 h.
    s = composite_schedule(profiles, 1, utc(2026, 3, 22), 14 * 24 * H)
    assert pairs(s) == [(0, 20), (24 * H, 10), (48 * H, 20), (192 * H, 10), (216 * H, 20)]


def test_relative_to_the_transaction_start() -> None:
    # Level 1 Relative: 6 A, 16 A after 30 min, 32 A after 1 h; duration 2 h. Level 0: 20 A.
    # Transaction from 10:15. Window 10:00 for 3 h:
    #   10:00 20 (0)   10:15 6 (900)   10:45 16 (2700)   11:15 32 (4500)   12:15 20 (8100)
    profiles = on(
        0,
        prof(1, [(0, 20)]),
        prof(2, [(0, 6), (1800, 16), (3600, 32)], stack=1, kind="Relative", duration=2 * H),
    )
    s = composite_schedule(profiles, 1, utc(2026, 1, 10, 10), 3 * H, "A", utc(2026, 1, 10, 10, 15))
    assert pairs(s) == [(0, 20), (900, 6), (2700, 16), (4500, 32), (8100, 20)]
    # No transaction: a Relative profile has nothing to be relative to.
    assert pairs(composite_schedule(profiles, 1, utc(2026, 1, 10, 10), 3 * H)) == [(0, 20)]


def test_expiring_profiles() -> None:
    # Level 0: 16 A. Level 2: 8 A from 00:00, but valid only 00:30-01:30.
    # Level 3: Absolute 4 A from 01:45 with a duration of 15 min.
    # Window 00:00 for 3 h: 00:00 16 (0)  00:30 8 (1800)  01:30 16 (5400)
    #                       01:45 4 (6300)  02:00 16 (7200)
    profiles = on(
        0,
        prof(1, [(0, 16)]),
        prof(
            2,
            [(0, 8)],
            stack=2,
            valid_from="2026-01-10T00:30:00Z",
            valid_to="2026-01-10T01:30:00Z",
        ),
        prof(3, [(0, 4)], stack=3, start="2026-01-10T01:45:00Z", duration=900),
    )
    s = composite_schedule(profiles, 1, utc(2026, 1, 10), 3 * H)
    assert pairs(s) == [(0, 16), (1800, 8), (5400, 16), (6300, 4), (7200, 16)]


def test_no_profile_means_no_limit_or_the_hardware_maximum() -> None:
    # A lone 10 A profile for 1 h from 00:00; window 00:00 for 2 h.
    profiles = on(0, prof(1, [(0, 10)], duration=H))
    assert pairs(composite_schedule(profiles, 1, utc(2026, 1, 10), 2 * H)) == [(0, 10), (H, None)]
    with_max = composite_schedule(profiles, 1, utc(2026, 1, 10), 2 * H, max_limit=32)
    assert pairs(with_max) == [(0, 10), (H, 32)]
    # max_limit also caps what the profiles allow: 10 A then (no profile) 8 A -> 8 A throughout.
    assert pairs(composite_schedule(profiles, 1, utc(2026, 1, 10), 2 * H, max_limit=8)) == [(0, 8)]
    assert pairs(composite_schedule([], 1, utc(2026, 1, 10), H)) == [(0, None)]
    assert limit_at([], 1, utc(2026, 1, 10)) is None


def test_charge_point_max_caps_each_connector_and_is_the_whole_charge_point() -> None:
    # ChargePointMaxProfile 32 A; connector 1 default 40 A -> 32 A (one connector can never
    # exceed the whole charge point). At 01:00 the cap drops to 20 A.
    profiles = [
        *on(0, prof(1, [(0, 32), (H, 20)], purpose="ChargePointMaxProfile")),
        *on(1, prof(2, [(0, 40)])),
    ]
    s = composite_schedule(profiles, 1, utc(2026, 1, 10), 2 * H)
    assert pairs(s) == [(0, 32), (H, 20)]
    # Connector 0: only the cap (TxDefault profiles are per connector).
    assert pairs(composite_schedule(profiles, 0, utc(2026, 1, 10), 2 * H)) == [(0, 32), (H, 20)]
    assert charge_point_cap(profiles, utc(2026, 1, 10, 0, 30)) == 32
    assert charge_point_cap(profiles, utc(2026, 1, 10, 1, 30)) == 20
    # A ChargePointMaxProfile somehow placed on a connector is not a cap.
    assert (
        charge_point_cap(
            on(1, prof(1, [(0, 5)], purpose="ChargePointMaxProfile")), utc(2026, 1, 10)
        )
        is None
    )


def test_watts_and_amps() -> None:
    # 11 000 W on 3 phases at 230 V = 11000 / 690 = 15.942 A -> 15.9 (rounded down).
    # 16 A on 1 phase = 16 * 230 * 1 = 3680 W, numberPhases 1.
    w_profile = on(0, prof(1, [(0, 11000)], unit="W"))
    a_1phase = on(0, prof(1, [(0, 16, 1)]))
    assert limit_at(w_profile, 1, utc(2026, 1, 10)) == 15.9
    s = composite_schedule(a_1phase, 1, utc(2026, 1, 10), H, "W")
    assert [(p.start_period_s, p.limit, p.number_phases) for p in s.periods] == [(0, 3680.0, 1)]
    # At 240 V: 16 * 240 = 3840 W.
    assert (
        composite_schedule(a_1phase, 1, utc(2026, 1, 10), H, "W", voltage=240).periods[0].limit
        == 3840
    )
    # Mixed units: default 16 A, cap 7000 W = 7000 / 690 = 10.14 A -> 10.1 A; in W, 7000.
    mixed = [
        *on(0, prof(1, [(0, 7000)], unit="W", purpose="ChargePointMaxProfile")),
        *on(1, prof(2, [(0, 16)])),
    ]
    assert limit_at(mixed, 1, utc(2026, 1, 10)) == 10.1
    assert limit_at(mixed, 1, utc(2026, 1, 10), unit="W") == 7000
    # 16 A on 3 phases in W: 16 * 230 * 3 = 11040 < 22080 (the cap at 32 A): 11040.
    mixed_a = [
        *on(0, prof(1, [(0, 22080)], unit="W", purpose="ChargePointMaxProfile")),
        *on(1, prof(2, [(0, 16)])),
    ]
    assert limit_at(mixed_a, 1, utc(2026, 1, 10), unit="W") == 11040


def test_limit_at_agrees_with_the_schedule_inside_each_period() -> None:
    profiles = on(0, OFF_PEAK)
    start = utc(2026, 3, 28, 22)
    s = composite_schedule(profiles, 1, start, 48 * H)
    ends = [p.start_period_s for p in s.periods[1:]] + [s.duration_s]
    for period, end in zip(s.periods, ends, strict=True):
        for offset in (period.start_period_s, (period.start_period_s + end) // 2, end - 1):
            assert limit_at(profiles, 1, start + timedelta(seconds=offset)) == period.limit


def test_sub_second_times_are_floored() -> None:
    profiles = on(0, prof(1, [(0, 10)], start="2026-01-10T01:00:00.600Z"))
    s = composite_schedule(
        profiles, 1, utc(2026, 1, 10, 0, 59, 59) + timedelta(microseconds=900), 3
    )
    assert s.start == utc(2026, 1, 10, 0, 59, 59)
    assert pairs(s) == [(0, None), (1, 10)]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="duration_s: must be positive"):
        composite_schedule([], 1, utc(2026, 1, 10), 0)
    with pytest.raises(ValueError, match="start: needs a timezone"):
        composite_schedule([], 1, datetime(2026, 1, 10), 60)
    with pytest.raises(ValueError, match="when: needs a timezone"):
        limit_at([], 1, datetime(2026, 1, 10))


def test_min_charging_rate_of_the_profile_in_force_at_the_start() -> None:
    # 16 A with minChargingRate 2000 W at 3 phases: 2000 / 690 = 2.898 A -> 2.9 (rounded up).
    profiles = on(
        0, prof(1, [(0, 16)], min_rate=6.3), prof(2, [(0, 16)], stack=1, unit="W", min_rate=2000)
    )
    assert composite_schedule(profiles, 1, utc(2026, 1, 10), H).min_charging_rate == 2.9
    assert (
        composite_schedule(
            on(0, prof(1, [(0, 16)], min_rate=6.3)), 1, utc(2026, 1, 10), H
        ).min_charging_rate
        == 6.3
    )


def test_get_composite_schedule_response_is_schema_valid() -> None:
    # Three connectors' worth of arithmetic: 11000 W default, 32 A cap, asked for in A and in W.
    profiles = [
        *on(0, prof(1, [(0, 32), (1800, 20.5)], purpose="ChargePointMaxProfile")),
        *on(0, prof(2, [(0, 11000), (900, 3333.3, 1)], unit="W", min_rate=1000.1)),
    ]
    units: tuple[Unit, ...] = ("A", "W")
    for unit in units:
        s = composite_schedule(profiles, 1, utc(2026, 1, 10), H, unit)
        response = composite_response(s)
        validate_response("GetCompositeSchedule", response)
        assert response["chargingSchedule"]["chargingRateUnit"] == unit
    a = composite_response(composite_schedule(profiles, 1, utc(2026, 1, 10), H))
    assert a == {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": "2026-01-10T00:00:00Z",
        "chargingSchedule": {
            "duration": 3600,
            "startSchedule": "2026-01-10T00:00:00Z",
            "chargingRateUnit": "A",
            # 11000 / 690 = 15.94 -> 15.9;  3333.3 / 230 = 14.49 -> 14.4 (1 phase)
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 15.9, "numberPhases": 3},
                {"startPeriod": 900, "limit": 14.4, "numberPhases": 1},
            ],
            "minChargingRate": 1.5,  # 1000.1 / 690 = 1.449 -> 1.5
        },
    }


def test_no_limit_must_be_named_for_ocpp() -> None:
    s = composite_schedule([], 1, utc(2026, 1, 10), H)
    with pytest.raises(ValueError, match="pass no_limit"):
        charging_schedule(s)
    assert charging_schedule(s, no_limit=32)["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 32.0, "numberPhases": 3}
    ]
    validate_response("GetCompositeSchedule", composite_response(s, no_limit=32))


def test_accepts_an_installed_collection() -> None:
    inst = Installed()
    inst.install(0, OFF_PEAK)
    assert limit_at(inst, 1, utc(2026, 3, 28, 23, 30)) == 32


def test_the_worked_example_in_the_docs() -> None:
    # docs/smart-charging.md, "Worked example": keep the two in step.
    inst = Installed()
    inst.install(
        0, prof(1, [(0, 32)], purpose="ChargePointMaxProfile", start="2026-03-01T00:00:00Z")
    )
    inst.install(0, dataclasses.replace(OFF_PEAK, id=2))
    tx_profile = prof(
        3, [(0, 11000)], purpose="TxProfile", kind="Relative", unit="W", duration=H, tx=42
    )
    inst.install(1, tx_profile, transaction_running=True)
    tx = utc(2026, 3, 28, 23, 30)
    s = composite_schedule(inst, 1, utc(2026, 3, 28, 22), 12 * H, "A", tx, 42)
    assert pairs(s) == [(0, 6), (3600, 32), (5400, 15.9), (9000, 32), (32400, 6)]
    assert pairs(composite_schedule(inst, 2, utc(2026, 3, 28, 22), 12 * H)) == [
        (0, 6),
        (3600, 32),
        (32400, 6),
    ]
    assert [e.profile.id for e in inst] == [1, 2, 3]
    midnight = utc(2026, 3, 29)
    assert charge_point_cap(inst, midnight) == 32
    demands = {1: limit_at(inst, 1, midnight, tx, 42), 2: limit_at(inst, 2, midnight)}
    assert demands == {1: 15.9, 2: 32}
    assert share(32, demands) == {1: 15.9, 2: 16.1}
