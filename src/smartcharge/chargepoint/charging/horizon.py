"""When the charging decision can next change by the clock alone.

`decide` is a pure function of the instant and its inputs. With the inputs unchanged (no
profile, no owner or grid action, no car event), its answer can only change where one of its
timed rules does: a boundary of the default hours or of the owner's schedule, the start or end
of a DSR event, or the start or end of peak hours (R13, which lets a held default-hours stop
through, R17 over R24). `next_time_change` finds the first of them, so that a test harness on a
manual clock can skip the ticks in between (the station itself still ticks every second, R11).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smartcharge.chargepoint.charging.controller import OwnerRules
from smartcharge.chargepoint.charging.decision import schedule_span
from smartcharge.regulations import peak_windows

# Peak hours are at most a few hours apart on a weekday, and no longer apart than a weekend.
_PEAK_LOOKAHEAD = timedelta(days=4)


def next_time_change(now: datetime, owner: OwnerRules) -> datetime | None:
    """The first instant after `now` at which a timed input of the decision changes."""
    times: list[datetime] = []
    for schedule in (
        owner.default_hours,
        owner.user_schedule.windows if owner.user_schedule is not None else None,
    ):
        if schedule is not None:
            _, until = schedule_span(schedule, now)
            if until is not None:
                times.append(until)
    for ev in owner.dsr_events:
        times += [t for t in (ev.start, ev.end) if t > now]
    peak = _next_peak_change(now)
    if peak is not None:
        times.append(peak)
    return min(times, default=None)


# The last (from, next peak boundary) found: valid for any instant between the two.
_PEAK_SPAN: list[tuple[datetime, datetime]] = []


def _next_peak_change(now: datetime) -> datetime | None:
    if _PEAK_SPAN:
        since, until = _PEAK_SPAN[0]
        if since <= now < until:
            return until
    edges = [t for w in peak_windows(now, now + _PEAK_LOOKAHEAD) for t in w if t > now]
    if not edges:  # none in the lookahead: nothing to remember
        return None
    _PEAK_SPAN[:] = [(now, min(edges))]
    return min(edges)
