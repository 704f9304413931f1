"""Normalization for rule matching: fold evasions away, keep a map back to the original text.

Two steps. `fold` applies compatibility normalization (NFKC/NFKD), case folding, look-alike
letters and removes zero-width and combining characters; regex rules run on its result. `words`
then maps leetspeak digits to letters, drops apostrophes, turns punctuation into single spaces,
joins letters split by spaces or punctuation ("k.i.l.l") and collapses letters repeated 3+
times. Word and phrase rules match its result, padded with one space on each side.

The fast functions build only the strings, at C speed; `words_mapped` is the reference
implementation that also records, for every character, where it came from. It runs only when a
rule matched, to turn match positions into spans of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

APOSTROPHES = "'`\u2018\u2019\u02bc\u00b4\u2032"
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
# Letters from other scripts that look like Latin ones and are used to dodge word lists.
CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ı": "i",
}
_DROP = frozenset({"Mn", "Me", "Cf"})
_LETTER = re.compile(r"[^\W\d_]")
_SPLIT_RUN = re.compile(r"(?<!\S)[^\W\d_](?: [^\W\d_](?!\S)){2,}")
_SPLIT_HINT = re.compile(r" \w \w \w ")  # cheap pre-check: a literal prefix makes it fast
_REPEAT = re.compile(r"([^\W\d_])\1{2,}")
_REPEAT_HINT = re.compile(r"(.)\1\1", re.S)  # cheap pre-check for _REPEAT
_fold_cache: dict[str, str] = {}


def _word_table(one: str) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(128):
        ch = chr(code)
        if ch.isalnum():
            table[code] = LEET.get(ch, ch.lower())
        elif ch in "@$":
            table[code] = LEET[ch]
        elif ch in APOSTROPHES:
            table[code] = None
        else:
            table[code] = " "
    table[ord("1")] = one
    return table


_TABLES = {"i": _word_table("i"), "l": _word_table("l")}


def _fold_char(ch: str) -> str:
    """Fold one non-ASCII character (cached)."""
    cached = _fold_cache.get(ch)
    if cached is not None:
        return cached
    out = []
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    for c in decomposed:
        category = unicodedata.category(c)
        if category in _DROP:
            continue
        if c in APOSTROPHES:
            out.append("'")
        elif c.isascii():
            out.append(c.lower())
        elif c in CONFUSABLES:
            out.append(CONFUSABLES[c])
        elif category[0] in "PSZC":
            out.append(" ")
        else:
            out.append(c)
    folded = "".join(out)
    if len(_fold_cache) < 50_000:
        _fold_cache[ch] = folded
    return folded


def fold(text: str) -> tuple[str, list[int] | None]:
    """Fold text; the list gives each character's index in the original (None: identical)."""
    if text.isascii():
        return text.lower(), None
    parts: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = ch.lower() if ch.isascii() else _fold_char(ch)
        if folded:
            parts.append(folded)
            index.extend([i] * len(folded))
    return "".join(parts), index


def needs_l_variant(folded: str) -> bool:
    """True when a "1" sits next to a letter, so it may stand for "l" as well as "i"."""
    i = folded.find("1")
    while i >= 0:
        if (i and folded[i - 1].isalpha()) or folded[i + 1 : i + 2].isalpha():
            return True
        i = folded.find("1", i + 1)
    return False


def _join_run(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def collapse_repeats(text: str) -> str:
    """Collapse letters repeated 3+ times ("kiiiill" → "kill")."""
    return _REPEAT.sub(r"\1", text) if _REPEAT_HINT.search(text) else text


def words(folded: str, one: str = "i", collapse: bool = True) -> str:
    """The padded word text of folded text (fast path, no offsets).

    Letters split by single spaces or punctuation are joined first ("k.i.l.l" → "kill"), so a
    double separator still ends a word ("k i l l  m e" → "kill me"). With collapse=False the
    caller must apply collapse_repeats when the text has a letter three times in a row (the
    matcher notices that while scanning).
    """
    text = folded.translate(_TABLES[one])
    padded = " " + text + " "
    if _SPLIT_HINT.search(padded):
        text = _SPLIT_RUN.sub(_join_run, padded)
    text = " " + " ".join(text.split()) + " "
    return collapse_repeats(text) if collapse else text


@dataclass(frozen=True, slots=True)
class Mapped:
    """Word text plus, per character, where it starts in the folded text."""

    text: str  # padded with one space on each side
    starts: list[int]  # per character of the unpadded text
    wide: dict[int, int]  # end in folded text of characters standing for more than one
    collapsed: frozenset[int]  # indices in `text` where a stretched letter was collapsed

    def folded_span(self, start: int, end: int) -> tuple[int, int]:
        """Map text[start:end] (inside the padding) to a span of the folded text."""
        last = end - 2
        return self.starts[start - 1], self.wide.get(last, self.starts[last] + 1)


def _keep_table(one: str) -> dict[int, str | None]:
    table = dict(_TABLES[one])
    for ch in APOSTROPHES:
        if ord(ch) < 128:
            table[ord(ch)] = "\0"  # kept as a marker so positions stay aligned
    return table


_KEEP = {"i": _keep_table("i"), "l": _keep_table("l")}
_NON_SPACE = re.compile(r"\S+")


def _translated(folded: str, one: str) -> tuple[str, list[int]]:
    text = folded.translate(_KEEP[one])
    if "\0" not in text:
        return text, list(range(len(text)))
    return text.replace("\0", ""), [i for i, ch in enumerate(text) if ch != "\0"]


def _join_runs(text: str, starts: list[int]) -> tuple[str, list[int]]:
    padded = " " + text + " "
    pieces: list[str] = []
    new_starts: list[int] = []
    last = 0
    for match in _SPLIT_RUN.finditer(padded):
        begin, stop = max(match.start() - 1, 0), min(match.end() - 1, len(text))
        pieces.append(text[last:begin])
        new_starts.extend(starts[last:begin])
        pieces.append(text[begin:stop].replace(" ", ""))
        new_starts.extend(starts[i] for i in range(begin, stop) if text[i] != " ")
        last = stop
    pieces.append(text[last:])
    new_starts.extend(starts[last:])
    return "".join(pieces), new_starts


def _token_text(text: str, starts: list[int]) -> tuple[str, list[int]]:
    pieces: list[str] = []
    new_starts: list[int] = []
    for match in _NON_SPACE.finditer(text):
        if pieces:
            pieces.append(" ")
            new_starts.append(new_starts[-1] + 1)
        pieces.append(match.group())
        new_starts.extend(starts[match.start() : match.end()])
    return "".join(pieces), new_starts


def words_mapped(folded: str, one: str = "i") -> Mapped:
    """The padded word text with per-character offsets (used when a rule matched)."""
    text, starts = _translated(folded, one)
    if _SPLIT_HINT.search(" " + text + " "):
        text, starts = _join_runs(text, starts)
    text, starts = _token_text(text, starts)
    wide: dict[int, int] = {}
    collapsed: set[int] = set()
    if _REPEAT_HINT.search(text):
        pieces: list[str] = []
        new_starts: list[int] = []
        last = 0
        for match in _REPEAT.finditer(text):
            keep = match.start() + 1
            pieces.append(text[last:keep])
            new_starts.extend(starts[last:keep])
            wide[len(new_starts) - 1] = starts[match.end() - 1] + 1
            collapsed.add(len(new_starts))  # +1 for the leading pad, -1 for the last index
            last = match.end()
        pieces.append(text[last:])
        new_starts.extend(starts[last:])
        text, starts = "".join(pieces), new_starts
    return Mapped(" " + text + " ", starts, wide, frozenset(collapsed))


def to_original(span: tuple[int, int], index: list[int] | None) -> tuple[int, int]:
    """Map a span of folded text to the original text."""
    start, end = span
    if index is None:
        return start, end
    if end <= start:
        return index[start] if start < len(index) else len(index), index[start] if index else 0
    return index[start], index[end - 1] + 1


def normalize_pattern(pattern: str) -> str:
    """A rule's word or phrase, normalized like the text it is matched against (unpadded)."""
    folded, _ = fold(pattern)
    return words(folded).strip()
