"""Cheap necessary conditions for a regex, so most texts skip it without running it.

From a compiled pattern we derive literal strings of which at least one must occur (clauses)
and the least number of digits a match contains. Both are necessary, never sufficient: a text
that fails them cannot match, a text that passes is matched by the regex itself. Anything the
analysis does not understand simply adds no condition.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from re import (
    _constants as C,  # noqa: N812 - the standard library's own regex parser
    _parser as P,  # noqa: N812
)

CAP = 64  # at most this many alternative strings per clause while deriving
MAX_STRINGS = 48  # clauses with more strings than this are not worth checking
_DIGIT = re.compile(r"\d")
# Ordinary forum prose: a literal that is rare here makes a selective gate.
_SAMPLE = (
    "i'm 30 days sober today and honestly it has been hard. my sponsor said to call when the "
    "cravings hit, so i did at 2am... we talked about what happened at work, the meeting on "
    "tuesday (the 7pm one) and how i want to keep going. thanks everyone - that means a lot! "
    "at first i thought i couldn't do it; now it's 1 day at a time, 24 hours, 100% honest. "
    "my kids, my wife and our dog are why. anyone else struggling this week? stay strong, "
    "it gets better. went to 3 meetings, read step 4 and wrote in my journal before bed."
)
_ZERO_WIDTH = (C.AT, C.ASSERT, C.ASSERT_NOT)


@dataclass(frozen=True)
class Prefilter:
    """At least one string of every clause must occur, and at least min_digits digits."""

    clauses: tuple[tuple[str, ...], ...] = ()
    min_digits: int = 0

    def allows(self, text: str, digits: DigitCount) -> bool:
        """False when the regex cannot match `text`."""
        for clause in self.clauses:  # plain loops: this runs for every text and regex
            for literal in clause:
                if literal in text:
                    break
            else:
                return False
        return not self.min_digits or digits.get() >= self.min_digits


class DigitCount:
    """The number of digits in a text, counted once and only when asked."""

    __slots__ = ("text", "value")

    def __init__(self, text: str) -> None:
        self.text = text
        self.value = -1

    def get(self) -> int:
        """Count (once) and return the digits."""
        if self.value < 0:
            self.value = count_digits(self.text)
        return self.value


def count_digits(text: str) -> int:
    """How many characters of text match \\d."""
    if text.isascii():
        return len(text) - len(text.encode().translate(None, b"0123456789"))
    return len(_DIGIT.findall(text))


def _product(a: set[str], b: set[str]) -> set[str] | None:
    if len(a) * len(b) > CAP:
        return None
    return {x + y for x, y in itertools.product(a, b)}


def _exact_seq(seq) -> set[str] | None:
    out: set[str] | None = {""}
    for item in seq:
        part = _exact(item)
        if part is None or out is None:
            return None
        out = _product(out, part)
    return out


def _exact(item) -> set[str] | None:
    """The finite set of strings an item matches exactly, or None."""
    op, av = item
    if op == C.LITERAL:
        return {chr(av)}
    if op in _ZERO_WIDTH:
        return {""}
    if op == C.IN:
        if all(kind == C.LITERAL for kind, _ in av) and len(av) <= 16:
            return {chr(v) for _, v in av}
        return None
    if op == C.SUBPATTERN:
        return _exact_seq(av[-1])
    if op == C.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            part = _exact_seq(alt)
            if part is None or len(out) + len(part) > CAP:
                return None
            out |= part
        return out
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, high, sub = av
        part = _exact_seq(sub)
        if part is None:
            return None
        if (low, high) == (0, 1):
            return part | {""}
        if low == high and 1 <= low <= 3:
            out2: set[str] | None = {""}
            for _ in range(low):
                out2 = _product(out2, part) if out2 is not None else None
            return out2
    return None


def _digits(seq) -> int:
    total = 0
    for op, av in seq:
        if op == C.LITERAL:
            total += chr(av).isdigit()
        elif op == C.IN:
            only_digits = all(
                (kind == C.CATEGORY and v == C.CATEGORY_DIGIT)
                or (kind == C.LITERAL and chr(v).isdigit())
                or (kind == C.RANGE and chr(v[0]).isdigit() and chr(v[1]).isdigit())
                for kind, v in av
            )
            total += bool(av) and only_digits
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            total += av[0] * _digits(av[2])
        elif op == C.SUBPATTERN:
            total += _digits(av[-1])
        elif op == C.BRANCH:
            total += min(_digits(alt) for alt in av[1])
    return total


def _clauses(seq) -> list[set[str]]:
    clauses: list[set[str]] = []
    run: set[str] | None = None

    def close() -> None:
        if run and "" not in run:
            clauses.append(run)

    for item in seq:
        part = _exact(item)
        if part is not None:
            merged = _product(run, part) if run is not None else part
            if merged is None:
                close()
                merged = part
            run = merged
            continue
        close()
        run = None
        op, av = item
        if op == C.SUBPATTERN:
            clauses.extend(_clauses(av[-1]))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            clauses.extend(_clauses(av[2]))
        elif op == C.BRANCH:
            union: set[str] = set()
            for alt in av[1]:
                alt_clauses = _clauses(alt)
                if not alt_clauses:
                    union = set()
                    break
                union |= max(alt_clauses, key=lambda c: min(map(len, c)))
            if union and len(union) <= CAP:
                clauses.append(union)
    close()
    return clauses


def analyze(pattern: re.Pattern[str]) -> Prefilter:
    """A prefilter for a compiled pattern (empty when nothing can be derived)."""
    if pattern.flags & re.IGNORECASE:
        return Prefilter()
    try:
        parsed = P.parse(pattern.pattern, pattern.flags)
        clauses = _clauses(parsed)
        digits = _digits(parsed)
    except Exception:  # noqa: BLE001 - an unknown construct only means no shortcut
        return Prefilter()
    # A string containing another of its clause adds nothing; huge clauses cost more than
    # they save. Most selective first (the matcher gates on the first clause): the clause
    # whose strings are rarest in ordinary prose, then the one with fewest strings.
    clauses = [{s for s in c if not any(o != s and o in s for o in c)} for c in clauses]
    clauses = [c for c in clauses if len(c) <= MAX_STRINGS]
    ordered = sorted(clauses, key=lambda c: (sum(_SAMPLE.count(s) for s in c), len(c)))
    return Prefilter(tuple(tuple(sorted(c, key=len, reverse=True)) for c in ordered[:4]), digits)
