"""Community measures: a registry of figure providers, whole-week periods, the small-group rule
and the one public report that every output (pages, CSV, JSON, the CLI) is made from.

Figures are computed from what the forum already stores (accounts, posts, chat messages, the
review queue, consented check-ins), never from page views or logins. Each computed value carries
the number of people it was computed over; `disclose` is the only place that turns a value into
something shown, and it shows "fewer than 10" whenever that number is below MIN_PEOPLE. Raw
figures never leave this module: `build_report` returns only disclosed values.

A known limit: comparing overlapping periods can narrow down small groups by difference. Whole
weeks and the same rule on every total make this harder, not impossible, so exports stay with
admins and the members' page shows the same aggregates as the dashboard, nothing finer.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from ...errors import NotFound, ValidationFailed
from ...models import User
from .. import clock

MIN_PEOPLE = 10
SUPPRESSED = "fewer than 10"
MAX_WEEKS = 105  # two years: enough for a grant report, bounded in cost
DEFAULT_WEEKS = 12


# -- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole weeks, Monday to Sunday (UTC): start is a Monday, end the Monday after the last."""

    start: date
    end: date

    @property
    def weeks(self) -> list[date]:
        """The Monday of every week in the period."""
        return [self.start + timedelta(weeks=i) for i in range((self.end - self.start).days // 7)]

    @property
    def last_day(self) -> date:
        """The Sunday that closes the period."""
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes [start, end)."""
        return _at(self.start), _at(self.end)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def monday(day: date) -> date:
    """The Monday of the week holding day."""
    return day - timedelta(days=day.weekday())


def week_of(moment: datetime) -> date:
    """The Monday of the (UTC) week a moment falls in."""
    return monday(moment.astimezone(UTC).date())


def make_period(start: date, end: date) -> Period:
    """Widen [start, end] to whole weeks; refuse an end before the start or over two years."""
    if end < start:
        raise ValidationFailed({"to": [str(_l("The end date must not be before the start."))]})
    period = Period(monday(start), monday(end) + timedelta(weeks=1))
    if len(period.weeks) > MAX_WEEKS:
        raise ValidationFailed({"to": [str(_l("Choose at most two years."))]})
    return period


def parse_period(start: str | None, end: str | None, *, today: date | None = None) -> Period:
    """Read YYYY-MM-DD dates (either may be empty: the last twelve weeks); widen to weeks."""
    today = today or clock.now().date()
    reasons: dict[str, list[str]] = {}

    def read(value: str | None, name: str) -> date | None:
        if not value or not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            reasons[name] = [str(_l("Use a date like 2026-12-31."))]
            return None

    last = read(end, "to")
    first = read(start, "from")
    if reasons:
        raise ValidationFailed(reasons)
    last = last or today
    first = first or last - timedelta(weeks=DEFAULT_WEEKS - 1)
    return make_period(first, last)


# -- values, the small-group rule and the registry -----------------------------------------


@dataclass(frozen=True)
class Value:
    """A computed number and how many distinct people it was computed over."""

    value: float | int | None
    people: int


@dataclass(frozen=True)
class Series:
    """One line of a figure (the whole community, one board, one priority)."""

    label: str
    weekly: list[Value]
    total: Value


@dataclass(frozen=True)
class Figure:
    """A computed figure: raw values, never shown before `disclose`."""

    key: str
    series: list[Series]


@dataclass(frozen=True)
class Provider:
    """A registered figure: its label, unit, a note on how it is computed, and compute()."""

    key: str
    label: Any
    unit: Any
    note: Any
    compute: Callable[[Period], Figure]


_PROVIDERS: dict[str, Provider] = {}


def register_figure(key: str, label: Any, compute: Callable[[Period], Figure], *,
                    unit: Any = "", note: Any = "") -> None:
    """Add a figure; registering the same key again replaces it (reloads, tests)."""
    _PROVIDERS[key] = Provider(key, label, unit, note, compute)


def providers() -> list[Provider]:
    """Registered figures in registration order."""
    return list(_PROVIDERS.values())


@dataclass(frozen=True)
class Shown:
    """A value as every output shows it: the number, or SUPPRESSED for a small group."""

    value: float | int | str | None
    people: int | str

    @property
    def suppressed(self) -> bool:
        """Was this value withheld by the small-group rule?"""
        return self.value == SUPPRESSED


def disclose(value: Value) -> Shown:
    """The small-group rule, in one place: under MIN_PEOPLE people, neither value nor count."""
    if value.people < MIN_PEOPLE:
        return Shown(SUPPRESSED, SUPPRESSED)
    number = round(value.value, 1) if isinstance(value.value, float) else value.value
    return Shown(number, value.people)


# -- the public report ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicSeries:
    """A series after the small-group rule."""

    label: str
    weekly: list[tuple[date, Shown]]
    total: Shown


@dataclass(frozen=True)
class PublicFigure:
    """A figure after the small-group rule: the only thing pages and exports receive."""

    key: str
    label: str
    unit: str
    note: str
    series: list[PublicSeries]


@dataclass(frozen=True)
class Report:
    """Every registered figure over one period, disclosed."""

    period: Period
    figures: list[PublicFigure] = field(default_factory=list)

    def rows(self) -> Iterable[dict[str, Any]]:
        """Flat rows (one per figure, series and week, then the period total) for CSV."""
        for fig in self.figures:
            for s in fig.series:
                for week, shown in s.weekly:
                    yield _row(fig, s, week.isoformat(), shown)
                yield _row(fig, s, "total", s.total)


def _row(fig: PublicFigure, s: PublicSeries, week: str, shown: Shown) -> dict[str, Any]:
    return {"figure": fig.key, "label": fig.label, "series": s.label, "week": week,
            "value": "" if shown.value is None else shown.value, "people": shown.people,
            "unit": fig.unit}


def build_report(period: Period) -> Report:
    """Compute every registered figure and apply the small-group rule to each value."""
    figures = []
    for p in providers():
        raw = p.compute(period)
        series = [PublicSeries(s.label, [(w, disclose(v)) for w, v in zip(period.weeks, s.weekly,
                                                                          strict=True)],
                               disclose(s.total)) for s in raw.series]
        figures.append(PublicFigure(p.key, str(p.label), str(p.unit), str(p.note), series))
    return Report(period, figures)


CSV_COLUMNS = ("figure", "label", "series", "week", "value", "people", "unit")


def to_csv(report: Report) -> str:
    """The report as CSV: one row per figure, series and week, plus a total per series."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.rows():
        writer.writerow(row)
    return out.getvalue()


def to_json(report: Report) -> str:
    """The report as JSON, with the period and the small-group minimum stated."""
    def shown(s: Shown) -> dict[str, Any]:
        return {"value": s.value, "people": s.people}

    data = {
        "from": report.period.start.isoformat(),
        "to": report.period.last_day.isoformat(),
        "small_group_minimum": MIN_PEOPLE,
        "figures": [
            {"key": f.key, "label": f.label, "unit": f.unit, "note": f.note,
             "series": [{"label": s.label, "total": shown(s.total),
                         "weeks": [{"week": w.isoformat(), **shown(v)} for w, v in s.weekly]}
                        for s in f.series]}
            for f in report.figures
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


# -- who may see what ----------------------------------------------------------------------


def can_view_dashboard(user: User | None) -> bool:
    """Admins see the dashboard and download the CSV."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role("admin")


def can_view_shared(user: User | None) -> bool:
    """Every logged-in member sees the shared page (aggregates only), suspended or not."""
    return user is not None and getattr(user, "is_authenticated", False)


def ensure_dashboard_viewer(user: User | None) -> None:
    """NotFound unless an admin: the same answer as a missing page."""
    if not can_view_dashboard(user):
        raise NotFound()


def ensure_shared_viewer(user: User | None) -> None:
    """NotFound unless logged in."""
    if not can_view_shared(user):
        raise NotFound()


def access_dashboard(period: Period, *, acting_user: User | None) -> Report:
    """The dashboard's report, for admins."""
    ensure_dashboard_viewer(acting_user)
    return build_report(period)


def access_shared(period: Period, *, acting_user: User | None) -> Report:
    """The members' page: the same aggregates as the dashboard, for any logged-in member."""
    ensure_shared_viewer(acting_user)
    return build_report(period)
