"""Example files: the messages each semantic head learns from, validated like rules.

`moderation_rules/examples/<category>.yml` holds `examples:` (messages that belong to the
category, each a string or `{text, priority}`) and `not:` (look-alikes that must not: support
given to someone, history told for hope, figures of speech, talk about the topic). Errors name
file and line, and a directory with any error is refused whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..rules.schema import RuleError
from ..rules.yamlload import YamlError, load_yaml
from ..verdict import PRIORITIES

FILE_FIELDS = frozenset({"category", "priority", "overlaps", "threshold", "examples", "not"})
# A file of look-alikes only (ordinary talk) that every head learns as "not this".
EVERYDAY = "everyday"
MAX_TEXT = 2000
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Example:
    """One training message."""

    text: str
    priority: str
    line: int


@dataclass(frozen=True)
class ExampleFile:
    """The examples of one category."""

    category: str
    priority: str
    overlaps: frozenset[str]
    threshold: float
    examples: tuple[Example, ...]
    not_examples: tuple[str, ...]
    file: str


@dataclass(frozen=True)
class ExampleSet:
    """Every example file of a directory, with a version that changes with any text."""

    files: tuple[ExampleFile, ...]
    version: str

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories that have a head."""
        return tuple(f.category for f in self.files if f.examples)

    @property
    def count(self) -> int:
        """Examples and look-alikes in all files."""
        return sum(len(f.examples) + len(f.not_examples) for f in self.files)


class ExampleSetError(Exception):
    """An example directory that cannot be used; `errors` lists every problem."""

    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def example_files(directory: Path) -> list[Path]:
    """The example files of a directory, in a stable order."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= MAX_TEXT:
        return value.strip()
    return None


def _parse_file(path: Path, display: str, categories: set[str],
                errors: list[RuleError]) -> ExampleFile | None:
    try:
        data = load_yaml(path)
    except YamlError as exc:
        errors.append(RuleError(display, exc.line, "-", str(exc)))
        return None
    if not isinstance(data, dict):
        errors.append(RuleError(display, 1, "-", "expected a mapping with 'examples:'"))
        return None
    start = len(errors)
    line_of = getattr(data, "line_of", lambda key: 1)
    for key in data:
        if key not in FILE_FIELDS:
            errors.append(RuleError(display, line_of(key), "-", f"unknown field {key!r}"))
    category = data.get("category", path.stem)
    if category != path.stem:
        errors.append(RuleError(display, line_of("category"), str(category),
                                "category must be the file's name"))
    everyday = category == EVERYDAY
    if not everyday and category not in categories:
        errors.append(RuleError(display, line_of("category"), str(category),
                                "unknown category (see categories.yml)"))
    priority = data.get("priority", "high")
    if priority not in PRIORITIES:
        errors.append(RuleError(display, line_of("priority"), str(category),
                                f"priority must be one of {', '.join(PRIORITIES)}"))
    overlaps = data.get("overlaps") or []
    if not isinstance(overlaps, list) or any(o not in categories for o in overlaps):
        errors.append(RuleError(display, line_of("overlaps"), str(category),
                                "overlaps must list known categories"))
        overlaps = []
    threshold = data.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not 0 < threshold < 1:
        errors.append(RuleError(display, line_of("threshold"), str(category),
                                "threshold must be a number between 0 and 1"))
        threshold = 0.5
    examples: list[Example] = []
    raw = data.get("examples")
    if everyday:
        if raw is not None:
            errors.append(RuleError(display, line_of("examples"), EVERYDAY,
                                    "the everyday file holds only 'not:'"))
        if not data.get("not"):
            errors.append(RuleError(display, 1, EVERYDAY, "expected a non-empty 'not:' list"))
        raw = []
    elif not isinstance(raw, list) or not raw:
        errors.append(RuleError(display, line_of("examples"), str(category),
                                "expected a non-empty 'examples:' list"))
        raw = []
    lines = getattr(raw, "item_lines", [0] * len(raw))
    for item, line in zip(raw, lines, strict=False):
        entry_priority = priority
        text = item
        if isinstance(item, dict):
            text = item.get("text")
            entry_priority = item.get("priority", priority)
            unknown = set(item) - {"text", "priority"}
            if unknown:
                errors.append(RuleError(display, line, str(category),
                                        f"unknown example field {sorted(unknown)[0]!r}"))
        clean = _text(text)
        if clean is None:
            errors.append(RuleError(display, line, str(category),
                                    f"an example must be text of 1 to {MAX_TEXT} characters"))
            continue
        if entry_priority not in PRIORITIES:
            errors.append(RuleError(display, line, str(category),
                                    f"priority must be one of {', '.join(PRIORITIES)}"))
            continue
        examples.append(Example(clean, entry_priority, line))
    not_examples: list[str] = []
    raw_not = data.get("not") or []
    if not isinstance(raw_not, list):
        errors.append(RuleError(display, line_of("not"), str(category), "'not:' must be a list"))
        raw_not = []
    for item, line in zip(raw_not, getattr(raw_not, "item_lines", [0] * len(raw_not)),
                          strict=False):
        clean = _text(item)
        if clean is None:
            errors.append(RuleError(display, line, str(category),
                                    f"a look-alike must be text of 1 to {MAX_TEXT} characters"))
            continue
        not_examples.append(clean)
    seen: dict[str, int] = {}
    for example in examples:
        key = " ".join(example.text.lower().split())
        if key in seen:
            errors.append(RuleError(display, example.line, str(category),
                                    f"the same example is already on line {seen[key]}"))
        seen[key] = example.line
    clash = {" ".join(t.lower().split()) for t in not_examples} & set(seen)
    for key in sorted(clash):
        errors.append(RuleError(display, seen[key], str(category),
                                "this text is both an example and a look-alike"))
    if len(errors) > start:
        return None
    return ExampleFile(str(category), str(priority), frozenset(overlaps), float(threshold),
                       tuple(examples), tuple(not_examples), display)


def load_examples(directory: str | Path, categories: set[str]) -> ExampleSet:
    """Validate and read every example file; ExampleSetError listing every problem."""
    folder = Path(directory)
    errors: list[RuleError] = []
    files = []
    digest = hashlib.sha256()
    for path in example_files(folder):
        display = f"examples/{path.name}"
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            errors.append(RuleError(display, 1, "-", f"cannot read file: {exc}"))
            continue
        parsed = _parse_file(path, display, categories, errors)
        if parsed is not None:
            files.append(parsed)
    if errors:
        raise ExampleSetError(errors)
    return ExampleSet(tuple(files), digest.hexdigest()[:12])
