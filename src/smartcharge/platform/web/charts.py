"""Charts as inline SVG, drawn on the server (no chart library, no JavaScript): monthly energy
bars, a session's power curve, the weekly picture of charging hours. Every chart has a title and
a text alternative for screen readers; the numbers are also in a table beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from html import escape

from markupsafe import Markup

from smartcharge.platform.web.week import Bar
from smartcharge.regulations import UK_TZ
from smartcharge.regulations.default_hours import WEEKDAY_NAMES


def _svg(width: int, height: int, label: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def bars(labels: Sequence[str], values: Sequence[float], label: str, unit: str) -> Markup:
    """Vertical bars, one a label (months, days)."""
    width, height, left, bottom = 640, 240, 44, 36
    top = max(values, default=0) or 1.0
    n = max(1, len(values))
    step = (width - left - 8) / n
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'class="axis"/>',
        f'<text x="{left - 6}" y="14" class="tick" text-anchor="end">{top:.3g}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" class="tick" text-anchor="end">0</text>',
        f'<text x="4" y="{height / 2}" class="tick">{escape(unit)}</text>',
    ]
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        h = (height - bottom - 10) * value / top
        x = left + i * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" class="bar"><title>{escape(name)}: {value:.3g} {escape(unit)}'
            "</title></rect>"
        )
        if n <= 16 or i % max(1, n // 12) == 0:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" class="tick" '
                f'text-anchor="middle">{escape(name)}</text>'
            )
    return _svg(width, height, label, "".join(parts))


def curve(points: Sequence[tuple[datetime, float]], label: str) -> Markup:
    """Power (W) over time as a line, at the resolution the charger kept (1 s where it did).
    The power axis is in kW from 0 to a round top with room for its labels ("11 kW" is not
    clipped to "1.0 kW"), the time axis in UK clock time."""
    width, height, left, bottom = 640, 240, 64, 30
    if len(points) < 2:
        return Markup('<p class="muted">Not enough power readings for a curve.</p>')
    t0, t1 = points[0][0], points[-1][0]
    span = (t1 - t0).total_seconds() or 1.0
    top = _round_top(max(w for _, w in points))
    coords = " ".join(
        f"{left + (width - left - 8) * (t - t0).total_seconds() / span:.1f},"
        f"{height - bottom - (height - bottom - 10) * max(0.0, w) / top:.1f}"
        for t, w in points
    )
    ticks = "".join(
        f'<text x="{left - 6}" y="{height - bottom - (height - bottom - 10) * f + 4:.1f}" '
        f'class="tick" text-anchor="end">{_kw(top * f)}</text>'
        f'<line x1="{left}" y1="{height - bottom - (height - bottom - 10) * f:.1f}" '
        f'x2="{width}" y2="{height - bottom - (height - bottom - 10) * f:.1f}" class="grid"/>'
        for f in (0.0, 0.5, 1.0)
    )
    uk0, uk1 = t0.astimezone(UK_TZ), t1.astimezone(UK_TZ)
    body = (
        ticks + f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'class="axis"/>'
        f'<text x="{left}" y="{height - 10}" class="tick">{uk0:%H:%M}</text>'
        f'<text x="{width - 8}" y="{height - 10}" class="tick" text-anchor="end">'
        f"{uk1:%H:%M}</text>"
        f'<polyline points="{coords}" class="line"/>'
    )
    return _svg(width, height, label, body)


def _round_top(watts: float) -> float:
    """A round top for the power axis: 1, 2, 2.5, 5 or 10 times a power of ten, in W."""
    if watts <= 0:
        return 1000.0
    scale = 10 ** math.floor(math.log10(watts))
    return next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= watts)


def _kw(watts: float) -> str:
    kw = watts / 1000
    return f"{kw:g} kW" if kw >= 10 or kw == int(kw) else f"{kw:.1f} kW"


def week(charging: Sequence[Bar], peak: Sequence[Bar], label: str) -> Markup:
    """Seven rows (Monday first), 24 hours across: charging hours green, peak hours hatched."""
    width, row, left, top = 640, 30, 40, 22
    scale = (width - left - 6) / 24
    parts = [
        '<defs><pattern id="peak" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="3" height="6" class="peak-stripe"/>'
        "</pattern></defs>"
    ]
    for h in range(0, 25, 3):
        x = left + h * scale
        parts.append(
            f'<text x="{x:.1f}" y="14" class="tick" text-anchor="middle">{h:02}</text>'
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + 7 * row}" class="grid"/>'
        )
    for d, name in enumerate(WEEKDAY_NAMES):
        y = top + d * row
        parts.append(f'<text x="4" y="{y + row * 0.65:.1f}" class="tick">{name}</text>')
    for cls, items, pad in (("charge", charging, 4), ("peak", peak, 10)):
        for b in items:
            y = top + b.day * row + pad
            parts.append(
                f'<rect x="{left + b.start_h * scale:.1f}" y="{y}" '
                f'width="{max(1.0, (b.end_h - b.start_h) * scale):.1f}" '
                f'height="{row - 2 * pad}" class="{cls}"/>'
            )
    return _svg(width, top + 7 * row + 4, label, "".join(parts))
