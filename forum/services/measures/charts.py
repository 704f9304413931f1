"""Server-rendered SVG geometry for the measures pages: bars for weekly series, a line for a
member's own trend. No script; every chart has a table beside it with the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .report import PublicSeries

WIDTH, HEIGHT = 600, 140


@dataclass(frozen=True)
class Bar:
    """One week: a bar, or a marker where the small-group rule withheld the value."""

    x: float
    y: float
    width: float
    height: float
    week: date
    suppressed: bool


@dataclass(frozen=True)
class BarChart:
    """Bars for one series, scaled to its highest shown value."""

    bars: list[Bar]
    top: float
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def top_label(self) -> str:
        """The highest shown value, as the page prints it."""
        return f"{self.top:g}"

    @property
    def has_values(self) -> bool:
        """Is there anything above zero to draw?"""
        return any(not b.suppressed and b.height > 0 for b in self.bars)


def bar_chart(series: PublicSeries) -> BarChart:
    """Bar geometry: withheld weeks get a short marker, never a height that hints at a value."""
    shown = [v.value for _, v in series.weekly if not v.suppressed and v.value is not None]
    top = float(max(shown, default=0) or 1)
    slot = WIDTH / max(1, len(series.weekly))
    bars = []
    for i, (week, v) in enumerate(series.weekly):
        if v.suppressed or v.value is None:
            bars.append(Bar(round(i * slot + slot * .1, 1), HEIGHT - 4, round(slot * .8, 1), 4,
                            week, v.suppressed))
            continue
        h = round(float(v.value) / top * (HEIGHT - 10), 1)
        bars.append(Bar(round(i * slot + slot * .1, 1), round(HEIGHT - h, 1),
                        round(slot * .8, 1), h, week, False))
    return BarChart(bars, top)


def trend_points(values: list[float], low: float, high: float) -> str:
    """SVG polyline points for a member's own trend on a fixed scale (low..high)."""
    if not values:
        return ""
    step = WIDTH / max(1, len(values) - 1)
    span = (high - low) or 1
    return " ".join(f"{round(i * step, 1)},{round(HEIGHT - (v - low) / span * HEIGHT, 1)}"
                    for i, v in enumerate(values))
