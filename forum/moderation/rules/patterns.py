"""Phrase patterns: "(a|b)" alternatives, "(a )?" options and "{list}" references expand into
plain phrases."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence

_GROUP = re.compile(r"\(([^()]*)\)(\?)?|\{([A-Za-z0-9_-]+)\}(\?)?")
MAX_EXPANSIONS = 20_000


class PatternError(ValueError):
    """A word or phrase pattern that cannot be expanded."""


def _literal(text: str) -> str:
    if any(ch in text for ch in "()|{}?"):
        raise PatternError("unbalanced '(', ')', '{', '}', or '|' or '?' outside a group")
    return text


def expand(pattern: str, lists: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """All plain phrases a pattern stands for, in order."""
    pieces: list[list[str]] = []
    pos = 0
    for match in _GROUP.finditer(pattern):
        pieces.append([_literal(pattern[pos : match.start()])])
        name = match.group(3)
        if name is not None:
            if lists is None or name not in lists:
                raise PatternError(f"unknown list {{{name}}}")
            options = [x for item in lists[name] for x in expand(item)]
        else:
            options = [x for item in match.group(1).split("|") for x in expand(item, lists)]
        if match.group(2) or match.group(4):
            options.append("")
        pieces.append(options)
        pos = match.end()
    pieces.append([_literal(pattern[pos:])])
    total = math.prod(len(options) for options in pieces)
    if total > MAX_EXPANSIONS:
        raise PatternError(f"expands to {total} phrases (at most {MAX_EXPANSIONS})")
    return ["".join(combo) for combo in itertools.product(*pieces)]
