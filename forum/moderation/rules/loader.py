"""Load a rule directory: validate every file, then compile; all errors name file and line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..resources import Resource, parse_resources
from .detectors import helpline_digits
from .matcher import Matcher, PatternCompileError
from .schema import Rule, RuleError, parse_rule
from .thresholds import ClassifierPolicy, parse_classifier
from .yamlload import YamlError, load_yaml

RULE_SUFFIXES = (".yml", ".yaml")
_cache: dict[str, RuleSet] = {}  # compiled rule sets by content version


class RuleSetError(Exception):
    """A rule directory that cannot be used; `errors` lists every problem."""

    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@dataclass
class RuleSet:
    """A validated, compiled rule directory."""

    directory: Path
    rules: tuple[Rule, ...]
    categories: dict[str, str]
    resources: dict[str, Resource]
    classifier: ClassifierPolicy
    version: str
    files: tuple[Path, ...]
    matcher: Matcher = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def count(self) -> int:
        """How many rules are active."""
        return len(self.rules)


def rule_files(directory: Path) -> list[Path]:
    """The files a rule directory is made of, in a stable order."""
    files = [directory / name for name in ("categories.yml", "resources.yml", "classifier.yml")]
    rules_dir = directory / "rules"
    if rules_dir.is_dir():
        files += sorted(p for p in rules_dir.rglob("*") if p.suffix in RULE_SUFFIXES)
    return files


def _load(path: Path, display: str, errors: list[RuleError]) -> Any:
    if not path.is_file():
        errors.append(RuleError(display, 1, "-", "file is missing"))
        return None
    try:
        return load_yaml(path)
    except YamlError as exc:
        errors.append(RuleError(display, exc.line, "-", str(exc)))
        return None


def _categories(data: Any, display: str, errors: list[RuleError]) -> dict[str, str]:
    items = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(items, list):
        errors.append(RuleError(display, 1, "-", "expected a 'categories:' list"))
        return {}
    out = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            errors.append(RuleError(display, getattr(item, "line", 1), "-", "needs an 'id'"))
            continue
        out[item["id"]] = str(item.get("description", ""))
    return out


def _rules_in(data: Any, display: str, categories, resources, errors) -> list[Rule]:
    lists: dict[str, list[str]] = {}
    if isinstance(data, dict):
        lists = {str(k): [str(x) for x in v] for k, v in (data.get("lists") or {}).items()
                 if isinstance(v, list)}
        unknown = sorted(set(data) - {"lists", "rules"})
        for key in unknown:
            errors.append(RuleError(display, data.line_of(key), "-", f"unknown section '{key}'"))
        data = data.get("rules")
    if data is None:
        return []
    if not isinstance(data, list):
        errors.append(RuleError(display, getattr(data, "line", 1), "-", "expected a list of rules"))
        return []
    rules = []
    for raw in data:
        rule, problems = parse_rule(raw, display, lists=lists, categories=set(categories),
                                    resources=set(resources))
        errors.extend(problems)
        if rule:
            rules.append(rule)
    return rules


def load_ruleset(directory: str | Path) -> RuleSet:
    """Load, validate and compile a rule directory, or raise RuleSetError."""
    directory = Path(directory)
    files = rule_files(directory)

    def display(path: Path) -> str:
        return str(path)  # as the caller named the directory: errors read "dir/rules/x.yml:3"

    version = _digest(files, directory)
    cached = _cache.get(version)
    if cached is not None:  # same content (perhaps elsewhere): reuse the compiled matcher
        return replace(cached, directory=directory, files=tuple(files))
    errors: list[RuleError] = []
    data = {p: _load(p, display(p), errors) for p in files}
    categories = _categories(data[files[0]], display(files[0]), errors) if data[files[0]] else {}
    resources: dict[str, Resource] = {}
    if data[files[1]] is not None:
        resources, problems = parse_resources(data[files[1]], display(files[1]))
        errors += problems
    policy = ClassifierPolicy()
    if data[files[2]] is not None:
        policy, problems = parse_classifier(data[files[2]], display(files[2]), set(categories))
        errors += problems
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for path in files[3:]:
        for rule in _rules_in(data[path], display(path), categories, resources, errors):
            if rule.id in seen:
                first = seen[rule.id]
                errors.append(RuleError(rule.file, rule.line, rule.id,
                                        f"duplicate id (first in {first.file}:{first.line})"))
                continue
            seen[rule.id] = rule
            rules.append(rule)
    matcher = None
    if not errors:
        try:
            matcher = Matcher(rules, helpline_digits(
                contact.value for resource in resources.values() for contact in resource.contacts
                if contact.type in ("phone", "text", "sms", "videophone", "whatsapp")))
        except PatternCompileError as exc:
            errors.append(RuleError(exc.rule.file, exc.rule.line, exc.rule.id, str(exc)))
    if errors:
        raise RuleSetError(errors)
    ruleset = RuleSet(directory, tuple(rules), categories, resources, policy, version,
                      tuple(files), matcher)
    if len(_cache) >= 8:
        _cache.pop(next(iter(_cache)))
    _cache[version] = ruleset
    return ruleset


def _digest(files: list[Path], directory: Path) -> str:
    """A content hash: the same files give the same version wherever they are."""
    digest = hashlib.sha256()
    for path in files:
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\0missing"
        name = path.relative_to(directory).as_posix()
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:12]
