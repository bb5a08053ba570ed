"""The charger's own samples as smart_signals (scenarios/smart.py) reads them, and R12's
comparison of its power and energy with the simulator's true values."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from smartcharge.compliance.scenarios.base import ScenarioAborted, connector, until
from smartcharge.compliance.target import Charger
from smartcharge.ocpp.times import parse_time

ACCURACY = 0.10  # R12: within 10 % of the true value
STEADY_S = 40  # R12 compares power and energy over this much of the charger's clock
SAMPLE_WAIT_S = 120.0  # a guard: only a charger that never shows the samples reaches it


def sampled(ch: Charger, measurand: str) -> list[tuple[datetime, float]]:
    """(charger time, value) of every sampled `measurand` the charger sent, summed over phases.
    The waits below ask again every few milliseconds while hundreds of samples arrive: what was
    already read is kept on the charger (its messages are only ever appended)."""
    seen_before, out = ch.memo.get(("sampled", measurand), (0, []))
    messages = ch.csms.received(ch.identity, "MeterValues")
    out = list(out) if len(messages) >= seen_before else []
    seen_before = min(seen_before, len(messages))
    for m in messages[seen_before:]:
        for mv in m.payload.get("meterValue") or []:
            total, seen = 0.0, False
            for sv in mv.get("sampledValue") or []:
                if sv.get("measurand", "Energy.Active.Import.Register") != measurand:
                    continue
                if sv.get("context", "Sample.Periodic") != "Sample.Periodic":
                    continue
                value = float(sv["value"]) * (1000.0 if sv.get("unit") in ("kW", "kWh") else 1.0)
                total, seen = total + value, True
            if seen:
                stamp = parse_time(str(mv["timestamp"]))
                out.append((stamp, total))
    ch.memo[("sampled", measurand)] = (len(messages), out)
    return list(out)


async def steady_power(ch: Charger, after: datetime) -> list[tuple[datetime, float]]:
    """The power samples stamped after `after` that span STEADY_S s of the charger's clock while
    the car draws (all of them above 0 W): a tick running late on a loaded machine then weighs
    little. Their span is the charger's, so a charger that samples seldom gives fewer of them
    over a longer wait, never none; only a charger that sends none is "not run"."""

    def window() -> list[tuple[datetime, float]]:
        got = [(t, v) for t, v in sampled(ch, "Power.Active.Import") if t > after]
        for i in range(len(got) - 1, -1, -1):
            if got[i][1] <= 0:
                return []
            if (got[-1][0] - got[i][0]).total_seconds() >= STEADY_S:
                return got[i:]
        return []

    async def enough() -> bool:
        return bool(window())

    await until("steady power samples", enough, timeout=ch.real_seconds(STEADY_S) + SAMPLE_WAIT_S)
    return window()


async def accuracy(
    ch: Charger, rec: Any, label: str, *, expect_ok: bool, after: datetime
) -> bool | None:
    """Compare reported power (samples after the first `after`) with the true power; True when
    within ACCURACY (or, for `expect_ok=False`, True when the error was caught); None when there
    was nothing to compare."""
    try:
        steady = await steady_power(ch, after)
    except ScenarioAborted as exc:
        if rec is not None:
            rec.cannot(f"power within 10 % ({label})", str(exc))
        return None
    state = await connector(ch, 1)
    true_w = float(state["true_power_w"])
    if true_w <= 0:
        if rec is not None:
            rec.cannot(f"power within 10 % ({label})", "no current flows")
        return None
    reported = statistics.mean(v for _, v in steady)
    err = (reported - true_w) / true_w
    within = abs(err) <= ACCURACY
    if rec is not None:
        rec.evidence.timings[f"power error ({label}), fraction"] = err
        rec.check(
            f"power within 10 % ({label})",
            within,
            f"reported {reported:.0f} W (mean of {len(steady)} samples), true {true_w:.0f} W,"
            f" error {err:+.1%}",
        )
        # Energy: what the register gained between the first and last steady sample, against
        # what the true power delivers in that (charger-clock) time.
        first, last = steady[0][0], steady[-1][0]
        registers = [
            (t, v) for t, v in sampled(ch, "Energy.Active.Import.Register") if first <= t <= last
        ]
        if len(registers) >= 2:
            (t0, e0), (t1, e1) = registers[0], registers[-1]
            hours = (t1 - t0).total_seconds() / 3600
            e_true = true_w * hours
            e_err = ((e1 - e0) - e_true) / e_true if e_true else 1.0
            rec.check(
                f"energy register within 10 % ({label})",
                abs(e_err) <= ACCURACY,
                f"register +{e1 - e0:.1f} Wh in {hours * 3600:.0f} s, true {e_true:.1f} Wh,"
                f" error {e_err:+.1%}",
            )
        else:
            rec.cannot(f"energy register within 10 % ({label})", "no register samples")
    return within if expect_ok else not within
