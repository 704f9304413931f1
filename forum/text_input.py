"""Text as members' clients send it over Socket.IO.

JSON may carry a lone UTF-16 surrogate ("\\ud800"): Python keeps it in a str, but no database
driver can encode it, so it is refused at the edge before any query. Text sent back in a
refusal is made encodable and cut to the field's length, so an ack never grows with the input.
(HTTP forms cannot carry one: Werkzeug decodes bodies as UTF-8 and keeps undecodable escapes
as written or replaces them.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_encodable(text: str) -> bool:
    """Can the text be written as UTF-8 (no lone surrogates)?"""
    return _SURROGATE.search(text) is None


def all_encodable(values: Iterable[Any]) -> bool:
    """Is every string among values encodable? Other values are the services' to check."""
    return all(is_encodable(v) for v in values if isinstance(v, str))


def shown_back(text: Any, limit: int) -> str | None:
    """A member's text as a refusal returns it: lone surrogates become U+FFFD and it is cut
    to limit characters; None for anything that is not text."""
    if not isinstance(text, str):
        return None
    return _SURROGATE.sub("\ufffd", text[:limit])
