"""Row ids from members' input: a positive 32-bit int, or nothing.

PostgreSQL's integer ids stop at 2**31 - 1 and refuse a larger number with an error (SQLite
overflows at 2**63), so a value from a form or a query string is checked here before any
query sees it.
"""

from __future__ import annotations

from typing import Any

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
