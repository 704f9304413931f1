"""Precompiled matching: one Aho-Corasick automaton per scope, regexes only where needed."""

from __future__ import annotations

import logging
import re
import string
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ahocorasick

from ..normalize import (
    Mapped,
    collapse_repeats,
    fold,
    needs_l_variant,
    normalize_pattern,
    to_original,
    words,
    words_mapped,
)
from ..verdict import SCOPES
from .detectors import DETECTORS, MIN_DIGITS, digit_count, regions_for
from .prefilter import DigitCount, analyze
from .schema import Rule

log = logging.getLogger("forum.moderation")

# What an automaton key does: count as a hit, cancel an overlapping hit, or cancel every hit
# in its sentence or in the whole text.
HIT, UNLESS, UNLESS_SENTENCE, UNLESS_MESSAGE = 0, 1, 2, 3
_SENTENCE_END = re.compile(r"[.!?;\n]+")
TRIPLE = (False, ())  # the automaton value of "aaa".."zzz"
_DOUBLE = re.compile(r"([^\W\d_])\1+")


class PatternCompileError(ValueError):
    """A rule pattern that normalizes to nothing."""

    def __init__(self, rule: Rule, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched, with the span of the original text it matched."""

    rule: Rule
    span: tuple[int, int] | None


# An automaton entry: (rule index, HIT/UNLESS, is_variant, key length, lead pad, trail pad).
Entry = tuple[int, int, bool, int, int, int]


def _keys(pattern: str) -> list[tuple[str, bool]]:
    """Automaton keys for one word or phrase: the padded normal form and its de-doubled form."""
    lead = not pattern.startswith("*")
    trail = not pattern.endswith("*")
    core = normalize_pattern(pattern.strip("*"))
    if not core:
        return []
    forms = [(core, False)]
    undoubled = _DOUBLE.sub(r"\1", core)
    if undoubled != core:
        # Matches "killll" (collapsed to "kil"); only counts where a letter was collapsed.
        forms.append((undoubled, True))
    return [((" " if lead else "") + form + (" " if trail else ""), var) for form, var in forms]


def _rule_entries(rule: Rule, ri: int) -> list[tuple[str, Entry]]:
    """Every automaton key of one rule with its entry."""
    out: list[tuple[str, Entry]] = []
    for kind, patterns in ((HIT, rule.words + rule.phrases), (UNLESS, rule.unless),
                           (UNLESS_SENTENCE, rule.unless_sentence),
                           (UNLESS_MESSAGE, rule.unless_message)):
        for pattern in dict.fromkeys(patterns):
            keys = _keys(pattern)
            if not keys:
                raise PatternCompileError(rule, f"pattern {pattern!r} has no letters or digits")
            for key, variant in keys:
                lead, trail = int(key[0] == " "), int(key[-1] == " ")
                out.append((key, (ri, kind, variant, len(key), lead, trail)))
    return out


def _automaton(entries: Sequence[list[tuple[str, Entry]]]) -> Any:
    table: dict[str, list[Entry]] = defaultdict(list)
    for rule_entries in entries:
        for key, entry in rule_entries:
            table[key].append(entry)
    if not table:
        return None
    automaton = ahocorasick.Automaton()
    for key, items in table.items():
        automaton.add_word(key, (any(item[1] == HIT for item in items), tuple(items)))
    for letter in string.ascii_lowercase:
        # Keys never hold a letter three times (they are collapsed), so "aaa" can only be
        # text that needs collapsing: found while scanning, no separate regex pass needed.
        automaton.add_word(letter * 3, TRIPLE)
    automaton.make_automaton()
    return automaton


class _Scope:
    """The compiled form of every rule that applies to one scope."""

    def __init__(self, rules: Sequence[Rule], indices: list[int], automaton: Any) -> None:
        self.automaton = automaton
        self.regex = [(ri, rx, analyze(rx), rules[ri].has_author_condition)
                      for ri in indices for rx in rules[ri].regex]
        self.repeated = [(ri, *rules[ri].repeated_text) for ri in indices
                         if rules[ri].repeated_text]
        self.unless_regex = {ri: rules[ri].unless_regex for ri in indices
                             if rules[ri].unless_regex}
        self.detectors = [(ri, rules[ri].detector, rules[ri].regions) for ri in indices
                          if rules[ri].detector]
        # One pass of a literal automaton finds which regexes can match at all, so the cost
        # of a text does not grow with the number of regex rules.
        self.always = [entry for entry in self.regex if not entry[2].clauses]
        gates: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.regex):
            if entry[2].clauses:
                for literal in entry[2].clauses[0]:
                    gates[literal].append(i)
        self.gate: Any = None
        if gates:
            self.gate = ahocorasick.Automaton()
            for literal, ids in gates.items():
                self.gate.add_word(literal, tuple(ids))
            self.gate.make_automaton()

    def regex_candidates(self, folded: str) -> list:
        """The regex entries whose literals occur in the folded text, plus the ungated ones."""
        if self.gate is None:
            return self.always
        found: set[int] = set()
        for _, ids in self.gate.iter(folded):
            found.update(ids)
        if not found:
            return self.always
        return self.always + [self.regex[i] for i in sorted(found)]


def _sentence_of(span: tuple[int, int], ends: list[int], length: int) -> tuple[int, int]:
    """The sentence around a span, as a span of the original text (ends: its full stops)."""
    start, stop = 0, length
    for end in ends:
        if end < span[0]:
            start = end + 1
        elif end >= span[1]:
            stop = end
            break
    return start, stop


class Matcher:
    """Matches text against a rule set, per scope."""

    def __init__(self, rules: Sequence[Rule], helplines: frozenset[str] = frozenset()) -> None:
        self.rules = tuple(rules)
        # The digits of every number in resources.yml: a helpline is never a personal number.
        self.helplines = helplines
        entries = [_rule_entries(rule, ri) for ri, rule in enumerate(self.rules)]
        automata: dict[tuple[int, ...], Any] = {}  # scopes with the same word rules share one
        self._scopes = {}
        for scope in SCOPES:
            indices = [i for i, r in enumerate(self.rules) if scope in r.scopes]
            worded = tuple(i for i in indices if entries[i])
            if worded not in automata:
                automata[worded] = _automaton([entries[i] for i in worded])
            self._scopes[scope] = _Scope(self.rules, indices, automata[worded])

    def match(
        self, text: str, scope: str, author: Any = None, now: datetime | None = None,
        locale: str | None = None,
    ) -> list[RuleHit]:
        """The rules that match `text` in `scope`, each with its first span. `locale` is the
        writer's language, whose regions the phone number detector tries first."""
        compiled = self._scopes[scope]
        folded, index = fold(text)
        variants = ["i", "l"] if needs_l_variant(folded) else ["i"]
        first = words(folded, "i", collapse=False)
        texts = [first if first.isascii() else collapse_repeats(first)]
        texts += [words(folded, one) for one in variants[1:]]
        word_hits: list[tuple[int, int, tuple[Entry, ...]]] = []
        found = False
        if compiled.automaton is not None:
            for vi, word_text in enumerate(texts):
                found = self._scan(compiled.automaton, vi, word_text, word_hits) or found
                if word_hits and word_hits[-1][2] is TRIPLE[1]:  # a stretched letter
                    del word_hits[:]
                    texts[0] = collapse_repeats(first)
                    found = self._scan(compiled.automaton, 0, texts[0], word_hits)
                    for vj in range(1, len(texts)):
                        found = self._scan(compiled.automaton, vj, texts[vj], word_hits) or found
                    break
        regex_hits = []
        digits = DigitCount(folded)
        for ri, rx, prefilter, conditional in compiled.regex_candidates(folded):
            if conditional and not self.rules[ri].applies_to_author(author, now):
                continue
            if prefilter.allows(folded, digits):
                for m in rx.finditer(folded):
                    regex_hits.append((ri, to_original(m.span(), index)))
        repeated = self._repeated(compiled, texts[0].split(), text) if compiled.repeated else []
        if compiled.detectors:
            digits = digit_count(text)
            for ri, name, regions in compiled.detectors:
                if digits < MIN_DIGITS[name] or not self.rules[ri].applies_to_author(author, now):
                    continue
                own = regions_for(regions, locale) if name == "phone_number" else ()
                for span in DETECTORS[name](text, own, self.helplines):
                    repeated.append((ri, span))  # spans of the original text
        if not (found or regex_hits or repeated):
            return []
        return self._resolve(
            compiled, folded, index, variants, texts, word_hits, regex_hits + repeated,
            author, now,
        )

    @staticmethod
    def _scan(automaton: Any, vi: int, word_text: str, word_hits: list) -> bool:
        """Collect automaton hits; a triple letter ends the scan with a TRIPLE marker."""
        found = False
        for end, value in automaton.iter(word_text):
            if value is TRIPLE:
                word_hits.append((vi, end, TRIPLE[1]))
                return found
            has_hit, entries = value
            word_hits.append((vi, end, entries))
            found = found or has_hit
        return found

    @staticmethod
    def _repeated(compiled: _Scope, split: list[str], text: str) -> list:
        hits = []
        distinct = len(set(split))
        for ri, min_words, ratio in compiled.repeated:
            if len(split) >= min_words and distinct <= ratio * len(split):
                hits.append((ri, (0, len(text))))
        return hits

    def _mapped(self, compiled, folded, one, expected, word_hits, vi) -> Mapped:
        mapped = words_mapped(folded, one)
        if mapped.text != expected:  # the fast path disagreed with the reference: trust the latter
            log.error("normalizer mismatch; using reference offsets")
            word_hits[:] = [h for h in word_hits if h[0] != vi]
            word_hits.extend((vi, end, e) for end, (_, e) in compiled.automaton.iter(mapped.text))
        return mapped

    def _resolve(
        self, compiled, folded, index, variants, texts, word_hits, other_hits, author, now
    ) -> list[RuleHit]:
        spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        unless: dict[int, list[tuple[int, int]]] = defaultdict(list)
        context: dict[int, list[tuple[int, int]]] = defaultdict(list)
        anywhere: set[int] = set()
        maps: dict[int, Mapped] = {}
        for vi in sorted({h[0] for h in word_hits}):
            maps[vi] = self._mapped(compiled, folded, variants[vi], texts[vi], word_hits, vi)
        for vi, end, entries in word_hits:
            mapped = maps[vi]
            for ri, kind, variant, length, lead, trail in entries:
                start, stop = end + 1 - length + lead, end + 1 - trail
                if variant and not any(i in mapped.collapsed for i in range(start, stop)):
                    continue
                span = to_original(mapped.folded_span(start, stop), index)
                if kind == UNLESS_MESSAGE:
                    anywhere.add(ri)
                else:
                    {HIT: spans, UNLESS: unless, UNLESS_SENTENCE: context}[kind][ri].append(span)
        for ri, span in other_hits:
            spans[ri].append(span)
        # Sentence ends as positions of the original text (folding keeps punctuation).
        ends = [to_original((m.start(), m.start() + 1), index)[0]
                for m in _SENTENCE_END.finditer(folded)] if context else []
        length = to_original((len(folded) - 1, len(folded)), index)[1] if folded else 0
        hits = []
        for ri in sorted(spans):
            if ri in anywhere:
                continue
            rule = self.rules[ri]
            blockers = unless.get(ri, [])
            for rx in compiled.unless_regex.get(ri, ()):
                blockers.extend(to_original(m.span(), index) for m in rx.finditer(folded))
            for span in context.get(ri, ()):
                blockers.append(_sentence_of(span, ends, length))
            kept = [s for s in spans[ri] if not any(s[0] < b[1] and b[0] < s[1] for b in blockers)]
            if kept and rule.applies_to_author(author, now):
                hits.append(RuleHit(rule, min(kept)))
        return hits
