"""Row ids from members' input: a positive 32-bit int, or nothing.

PostgreSQL's integer ids stop at 2**31 - 1 and refuse a larger number with an error (SQLite
overflows at 2**63), so a value from a form, a query string or a path is checked here before
any query sees it.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from .errors import NotFound

ID_MAX = 2**31 - 1


def is_row_id(value: Any) -> bool:
    """A value that can name a row: a positive int in range (never a bool or a huge number)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


def parse_row_id(text: Any) -> int | None:
    """A row id written as text (a hidden field, a query argument), or None. ASCII digits
    only: "²" passes str.isdigit() and then fails int()."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if is_row_id(value) else None


def query_number(text: Any) -> int | None:
    """A row id or page number from a query argument: None when absent, zero or not a plain
    number (the page's default applies); NotFound when it is a number past any row, like a
    path naming no row."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    if value > ID_MAX:
        raise NotFound()
    return value or None


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits up to ID_MAX, so a path naming no possible row
    is a 404 before the view runs."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = ID_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
