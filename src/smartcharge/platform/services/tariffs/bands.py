"""Typed tariffs: a base price and time-of-use bands ("00:30-04:30 7.5"), UK clock time, pence
per kWh. A band whose end is at or before its start runs past midnight. Bands may not overlap:
two prices for one half-hour is a typing mistake, refused with the two lines named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time

from smartcharge.regulations.calendar import UK_TZ

MAX_PRICE_P = 1000.0
MAX_BANDS = 48
_BAND = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s+(\d+(?:\.\d+)?)\s*$")


class TariffError(ValueError):
    """A tariff the owner typed that cannot be used; says why (and `field`: which input)."""

    def __init__(self, message: str, field: str = "bands") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Band:
    start: time
    end: time
    price_p: float

    def covers(self, t: time) -> bool:
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end  # past midnight (or all day when equal)

    def minutes(self) -> set[int]:
        """The minutes of the day it covers (for the overlap check)."""
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        length = (e - s - 1) % 1440 + 1
        return {(s + m) % 1440 for m in range(length)}


@dataclass(frozen=True, slots=True)
class Tariff:
    base_p: float
    bands: tuple[Band, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        return "time_of_use" if self.bands else "flat"

    def price_at(self, t: time) -> float:
        """The price at a UK clock time."""
        for band in self.bands:
            if band.covers(t):
                return band.price_p
        return self.base_p

    def price(self, when: datetime) -> float:
        """The price in force at an aware instant."""
        return self.price_at(when.astimezone(UK_TZ).time())

    def bands_text(self) -> str:
        return "\n".join(f"{b.start:%H:%M}-{b.end:%H:%M} {b.price_p:g}" for b in self.bands)


def parse_price(text: str, what: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TariffError(f"{what}: a price in pence per kWh, like 24.5", field) from None
    if not 0 <= value <= MAX_PRICE_P:
        raise TariffError(f"{what}: between 0 and {MAX_PRICE_P:g} p/kWh", field)
    return value


def parse_tariff(base: str, bands: str) -> Tariff:
    """The tariff form: a base price and (time-of-use) one band a line, "00:30-04:30 7.5"."""
    out: list[Band] = []
    lines: list[int] = []
    for number, line in enumerate(bands.splitlines(), 1):
        if not line.strip():
            continue
        found = _BAND.match(line)
        if not found:
            raise TariffError(f'band line {number}: write "00:30-04:30 7.5"')
        sh, sm, eh, em = (int(found.group(i)) for i in range(1, 5))
        if sh > 23 or eh > 23 or sm > 59 or em > 59:
            raise TariffError(f"band line {number}: hours 00-23, minutes 00-59")
        band = Band(
            time(sh, sm), time(eh, em), parse_price(found.group(5), f"band line {number}", "bands")
        )
        for other, at in zip(out, lines, strict=True):
            if band.minutes() & other.minutes():
                raise TariffError(f"band lines {at} and {number} overlap: one price per time")
        out.append(band)
        lines.append(number)
    if len(out) > MAX_BANDS:
        raise TariffError(f"at most {MAX_BANDS} bands")
    return Tariff(parse_price(base.strip(), "base price", "base_p"), tuple(out))
