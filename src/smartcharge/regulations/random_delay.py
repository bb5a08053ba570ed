"""The randomised delay (R21-R26): how long, drawn how, and when it applies.

Every change of charging rate carries its cause and a flag saying whether it was already
randomised (DESIGN principle 3); whether the delay applies is then the pure function
:func:`delay_for` of that change. The delay's duration is :meth:`RandomDelay.draw`.

What this module does not do: hold the previous rate during the delay, retarget a running delay,
or count it down on the monotonic clock. The charge point's limit decision does that. Nor does a
delay ever justify a current above a hardware, installation or site limit (R8): a decrease that
protects a supply limit must take effect at once whatever :func:`applies` says about the law.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

MAX_ALLOWED_S = 1800
"""R21: the delay never exceeds 1800 s, and the maximum cannot be set above it (R23)."""

DEFAULT_MAX_S = 600
"""R22: the maximum as shipped."""

NOISE_A = 0.1
"""Decision (reg 11): a change of less than 0.1 A is measurement noise, not a relevant time."""


def validate_max(value: int) -> int:
    """Return ``value`` if it is a whole number of seconds in 0..1800 (R23); else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"random delay maximum must be whole seconds, got {value!r}")
    if not 0 <= value <= MAX_ALLOWED_S:
        raise ValueError(f"random delay maximum must be 0..{MAX_ALLOWED_S} s, got {value}")
    return value


class RandomDelay:
    """Draws delays uniform over the whole seconds 0..max_s inclusive (R21, R22).

    With no ``rng`` the source is ``secrets.SystemRandom()``, the operating system's CSPRNG, so no
    two chargers step in unison and nobody can predict a charger's draw (R22 decision). Pass a
    seeded ``random.Random(seed)`` only in tests; never a generator seeded from a clock.
    """

    __slots__ = ("_max_s", "_rng")

    def __init__(self, max_s: int = DEFAULT_MAX_S, rng: random.Random | None = None) -> None:
        self._max_s = validate_max(max_s)
        self._rng: random.Random = secrets.SystemRandom() if rng is None else rng

    @property
    def max_s(self) -> int:
        return self._max_s

    @property
    def rng(self) -> random.Random:
        """The source the draws come from."""
        return self._rng

    def with_max(self, max_s: int) -> RandomDelay:
        """The same source with a new maximum (R23: raised or lowered remotely)."""
        return RandomDelay(max_s, self._rng)

    def draw(self) -> int:
        """A delay in whole seconds, uniform over 0..max_s inclusive; 0 when max_s is 0."""
        if self._max_s == 0:
            return 0
        # randint rejects and redraws rather than taking a modulo, so every value is equally likely.
        return self._rng.randint(0, self._max_s)

    def __repr__(self) -> str:
        return f"RandomDelay(max_s={self._max_s}, rng={type(self._rng).__name__})"


class Cause(StrEnum):
    """Why a charging rate changes (DESIGN principle 3). The values are stored and shown."""

    OWNER_OVERRIDE = "owner_override"
    END_USER_OVERRIDE = "end_user_override"
    DSR = "dsr"
    DEFAULT_HOURS = "default_hours"
    USER_SCHEDULE = "user_schedule"
    TARIFF = "tariff"
    CSMS_PROFILE = "csms_profile"
    PLUG_IN = "plug_in"
    POWER_RESTORE = "power_restore"
    LOAD_BALANCING = "load_balancing"


DsrKind = Literal["response", "scheduled"]
_DSR_KINDS: frozenset[str] = frozenset({"response", "scheduled"})


@dataclass(frozen=True)
class RateChange:
    """A change of the charging rate from ``old_a`` to ``new_a`` amps, with its cause.

    ``dsr_kind`` is required when the cause is DSR and forbidden otherwise (R26 decision: every
    DSR event says whether it is a response or a scheduled event). ``delay_overridden`` is the
    owner's or end user's "skip the delay" (R25).
    """

    old_a: float
    new_a: float
    cause: Cause
    already_randomised: bool = False
    dsr_kind: DsrKind | None = None
    delay_overridden: bool = False

    def __post_init__(self) -> None:
        for name in ("old_a", "new_a"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number of amps, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and not negative, got {value!r}")
        try:
            object.__setattr__(self, "cause", Cause(self.cause))
        except ValueError:
            raise ValueError(f"unknown cause {self.cause!r}") from None
        if self.cause is Cause.DSR and self.dsr_kind not in _DSR_KINDS:
            raise ValueError(
                f"a DSR change needs dsr_kind 'response' or 'scheduled', got {self.dsr_kind!r}"
            )
        if self.cause is not Cause.DSR and self.dsr_kind is not None:
            raise ValueError(f"dsr_kind is only for DSR changes, not {self.cause.value}")


@dataclass(frozen=True)
class DelayDecision:
    """Whether the randomised delay applies to a change, and the rule that decided it."""

    applies: bool
    rule: str
    reason: str


_OVERRIDES = frozenset({Cause.OWNER_OVERRIDE, Cause.END_USER_OVERRIDE})


def delay_for(change: RateChange) -> DelayDecision:
    """Whether the randomised delay applies to ``change`` (R24, R25, R26), with the reason.

    The branches, in order:

    1. R24 decision: a change of less than 0.1 A is noise, not a relevant time.
    2. R26/R25: the owner or an end user overrode (an override is the cause, or they skipped the
       delay for this change): no delay.
    3. R26: an equivalent random delay was already applied (profile/event marked already
       randomised): no delay.
    4. R26: the charger is providing *response* DSR: no delay. Only response DSR; a DSR event
       scheduled for a set time falls through to 5.
    5. R24: anything else that starts, raises, lowers or stops the flow is a relevant time and is
       delayed: default hours, the owner's schedule, a tariff change (not DSR, R26), a central
       system's profile, a scheduled DSR event, plug-in with charging allowed, power restored
       with a car connected, load balancing.
    """
    if abs(change.new_a - change.old_a) < NOISE_A:
        return DelayDecision(
            False, "R24", f"change below {NOISE_A} A is noise, not a relevant time"
        )
    if change.cause in _OVERRIDES:
        return DelayDecision(False, "R26", f"{change.cause.value}: overridden by the owner/user")
    if change.delay_overridden:
        return DelayDecision(False, "R25", "the owner or user skipped the delay")
    if change.already_randomised:
        return DelayDecision(False, "R26", "an equivalent random delay was already applied")
    if change.cause is Cause.DSR and change.dsr_kind == "response":
        return DelayDecision(False, "R26", "response DSR executes at once")
    if change.new_a == 0:
        kind = "stop"
    elif change.old_a == 0:
        kind = "start"
    else:
        kind = "increase" if change.new_a > change.old_a else "decrease"
    return DelayDecision(True, "R24", f"{kind} caused by {change.cause.value} is a relevant time")


def applies(change: RateChange) -> bool:
    """Whether the randomised delay applies to ``change``; see :func:`delay_for` for the rules."""
    return delay_for(change).applies
