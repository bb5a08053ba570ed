"""R8 over R24: the caps still hold while a random delay keeps a connector at its old rate.

`decide` shares the site supply limit and the charge point's total between the charging
connectors as if every decision applied at once. But a connector whose *decrease* waits for its
random delay still draws its old rate, so the others may only share what is left of the cap;
otherwise one connector's "charge now" could rise while another's delayed decrease still holds,
and together they would exceed the installation's supply.
"""

from __future__ import annotations

from collections.abc import Mapping

from smartcharge.chargepoint.charging.decision import Decision
from smartcharge.chargepoint.smart_charging.sharing import share
from smartcharge.regulations import Cause


def tightest(*caps: float | None) -> float | None:
    """The lowest of the caps in force (None: no cap at all)."""
    present = [cap for cap in caps if cap is not None]
    return min(present) if present else None


def within_caps(
    decisions: Mapping[int, Decision], held: Mapping[int, float], cap_a: float | None
) -> dict[int, Decision]:
    """`decisions` with the connectors not in `held` (connector -> amps its delay holds) sharing
    only what of `cap_a` the held connectors leave."""
    if cap_a is None or not held:
        return dict(decisions)
    free = max(0.0, cap_a - sum(held.values()))
    others = {n: d.limit_a for n, d in decisions.items() if n not in held and d.limit_a > 0}
    if sum(others.values()) <= free:
        return dict(decisions)
    out = dict(decisions)
    for n, amps in share(free, others).items():
        if amps < out[n].limit_a:
            reason = f"sharing {cap_a:g} A while another connector's delay holds its rate"
            out[n] = Decision(amps, Cause.LOAD_BALANCING, reason)
    return out
