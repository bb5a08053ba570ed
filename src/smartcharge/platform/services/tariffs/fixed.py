"""Fixed-window tariffs UK owners have: one cheap window a night at a night price, a day price
the rest of the time. They are typed bands underneath (`bands.Tariff`), so they price sessions
and plans exactly as a band the owner typed would; the preset only saves the typing.

The windows are the suppliers' published ones. Economy 7's differ by meter and region (and
often stay on GMT all year): the owner checks them against the meter and edits the band."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from smartcharge.platform.services.tariffs.bands import Band, Tariff, TariffError, parse_price


@dataclass(frozen=True, slots=True)
class FixedWindow:
    name: str
    start: time
    end: time


PRESETS: dict[str, FixedWindow] = {
    "octopus_go": FixedWindow("Octopus Go", time(0, 30), time(5, 30)),
    "intelligent_go": FixedWindow("Intelligent Octopus Go", time(23, 30), time(5, 30)),
    "economy_7": FixedWindow("Economy 7", time(0, 30), time(7, 30)),
}


def fixed_window_tariff(preset: str, day_p: str, night_p: str) -> Tariff:
    """The preset's window at `night_p`, `day_p` the rest of the day (pence per kWh, as typed)."""
    window = PRESETS.get(preset)
    if window is None:
        raise TariffError("pick a tariff from the list", "preset")
    day = parse_price(day_p.strip(), "day price", "day_p")
    night = parse_price(night_p.strip(), "night price", "night_p")
    return Tariff(day, (Band(window.start, window.end, night),))
