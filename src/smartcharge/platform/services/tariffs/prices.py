"""The price in force at an instant, from whatever the owner's tariff is: typed bands (and the
fixed-window presets, which are bands), or Agile's half-hourly prices with the typed bands
behind them for every half-hour whose price is unknown (not yet published, or Octopus did not
answer). `unknown_from` says from when the prices are a fallback, so the owner is told."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from smartcharge.platform.services.tariffs.bands import Tariff

UNKNOWN_P = 0.0
"""The price planned with when nothing is known at all: every half-hour alike, so the plan
takes the latest hours before departure (and says the prices are unknown)."""


@dataclass(frozen=True, slots=True)
class Prices:
    half_hourly: Mapping[datetime, float] = field(default_factory=dict)  # slot start (UTC)
    fallback: Tariff | None = None
    dynamic: bool = False  # the owner has a dynamic tariff (so a missing slot is unknown)

    def price(self, when: datetime) -> float:
        """Pence per kWh at the aware instant `when`."""
        known = self.half_hourly.get(_slot(when))
        if known is not None:
            return known
        if self.fallback is not None:
            return self.fallback.price(when)
        return UNKNOWN_P

    def known(self, when: datetime) -> bool:
        if self.dynamic:
            return _slot(when) in self.half_hourly
        return self.fallback is not None

    def unknown_from(self, start: datetime, end: datetime) -> datetime | None:
        """The first half-hour of [start, end) without a real price (None: all known)."""
        at = _slot(start)
        while at < end:
            if not self.known(at):
                return max(at, start.astimezone(UTC))
            at += timedelta(minutes=30)
        return None


def _slot(when: datetime) -> datetime:
    when = when.astimezone(UTC)
    return when.replace(minute=when.minute - when.minute % 30, second=0, microsecond=0)
