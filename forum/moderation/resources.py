"""Crisis, emergency and treatment resources from moderation_rules/resources.yml."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

from .rules.schema import RuleError
from .rules.yamlload import LineDict, YamlError, load_yaml

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent.parent / "moderation_rules"
RESOURCE_KINDS = ("emergency", "crisis", "overdose", "treatment", "meetings", "directory")
CONTACT_TYPES = ("phone", "text", "chat", "videophone", "web", "email")
INTERNATIONAL = "INTL"


@dataclass(frozen=True)
class Contact:
    """One way to reach a resource."""

    type: str
    value: str
    href: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Resource:
    """A crisis line, emergency number, treatment locator or meeting finder."""

    id: str
    name: str
    kind: str
    country: str
    languages: tuple[str, ...]
    description: str
    contacts: tuple[Contact, ...]
    hours: str | None = None
    # Per language: {"name", "description", "hours", "notes": [one per contact, or null]}.
    translations: tuple[tuple[str, Mapping[str, Any]], ...] = field(default=())

    def localized(self, locale: str | None) -> Resource:
        """The resource in this language where the file has its words; the original elsewhere."""
        language = (locale or "").split("_")[0].split("-")[0]
        words = dict(self.translations).get(language)
        if not words:
            return self
        notes = list(words.get("notes") or [])
        contacts = tuple(
            replace(c, note=notes[i]) if i < len(notes) and notes[i] else c
            for i, c in enumerate(self.contacts)
        )
        return replace(self, name=words.get("name") or self.name,
                       description=(words.get("description") or self.description).strip(),
                       hours=words.get("hours") or self.hours, contacts=contacts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for the chat `support` event."""
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "country": self.country,
            "description": self.description, "hours": self.hours,
            "contacts": [c.__dict__ for c in self.contacts],
        }


def _href(kind: str, value: str) -> str | None:
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if kind in ("phone", "videophone") and digits:
        return f"tel:{digits}"
    if kind == "text" and digits:
        return f"sms:{digits}"
    if kind == "email":
        return f"mailto:{value}"
    if kind in ("web", "chat") and value.startswith("https://"):
        return value
    return None


def _contact(raw: Any, file: str, rid: str, errors: list[RuleError]) -> Contact | None:
    line = getattr(raw, "line", 1)
    if not isinstance(raw, dict) or raw.get("type") not in CONTACT_TYPES or not raw.get("value"):
        errors.append(RuleError(file, line, rid, "a contact needs a type "
                                f"({', '.join(CONTACT_TYPES)}) and a value"))
        return None
    value = str(raw["value"])
    return Contact(raw["type"], value, raw.get("href") or _href(raw["type"], value),
                   raw.get("note"))


def _translations(raw: Any, file: str, line: int, rid: str,
                  errors: list[RuleError]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    if raw is None:
        return ()
    allowed = {"name", "description", "hours", "notes"}
    if not isinstance(raw, dict) or not all(
        isinstance(words, dict) and set(words) <= allowed for words in raw.values()
    ):
        errors.append(RuleError(file, getattr(raw, "line", line), rid,
                                "translations map a language to name, description, hours"
                                " and notes"))
        return ()
    return tuple((str(lang), dict(words)) for lang, words in raw.items())


def parse_resources(data: Any, file: str) -> tuple[dict[str, Resource], list[RuleError]]:
    """Validate the contents of resources.yml."""
    errors: list[RuleError] = []
    items = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return {}, [RuleError(file, 1, "-", "expected a top-level 'resources:' list")]
    out: dict[str, Resource] = {}
    for raw in items:
        line = getattr(raw, "line", 1)
        rid = raw.get("id") if isinstance(raw, LineDict) else None
        if not isinstance(rid, str):
            errors.append(RuleError(file, line, "-", "a resource needs an 'id'"))
            continue
        if rid in out:
            errors.append(RuleError(file, line, rid, "duplicate resource id"))
        missing = [k for k in ("name", "kind", "country", "description") if not raw.get(k)]
        if missing or raw.get("kind") not in RESOURCE_KINDS:
            errors.append(RuleError(file, line, rid, "a resource needs name, description, "
                                    f"country and kind ({', '.join(RESOURCE_KINDS)})"))
            continue
        contacts = [_contact(c, file, rid, errors) for c in raw.get("contacts") or []]
        languages = raw.get("languages") or ["en"]
        out[rid] = Resource(
            id=rid, name=str(raw["name"]), kind=raw["kind"], country=str(raw["country"]).upper(),
            languages=tuple(map(str, languages)), description=str(raw["description"]).strip(),
            contacts=tuple(c for c in contacts if c), hours=raw.get("hours"),
            translations=_translations(raw.get("translations"), file, line, rid, errors),
        )
    return out, errors


def load_resources(directory: str | Path | None = None) -> dict[str, Resource]:
    """Load and validate resources.yml from a rule directory (default: the repository's)."""
    path = Path(directory or DEFAULT_RULES_DIR) / "resources.yml"
    try:
        resources, errors = parse_resources(load_yaml(path), str(path))
    except YamlError as exc:
        raise ValueError(f"{path}:{exc.line}: -: {exc}") from exc
    if errors:
        raise ValueError("\n".join(map(str, errors)))
    return resources


def resources_for(
    ids: Iterable[str], country: str | None = None, *,
    resources: Mapping[str, Resource] | None = None,
) -> list[Resource]:
    """The resources with these ids, in order; for a country, its own and international ones."""
    if resources is None:
        resources = _current_resources()
    chosen = [resources[i] for i in dict.fromkeys(ids) if i in resources]
    if country:
        wanted = {country.upper(), INTERNATIONAL}
        chosen = [r for r in chosen if r.country in wanted]
    return chosen


def _current_resources() -> Mapping[str, Resource]:
    """The resources of the running app's rule set, else the repository's."""
    if has_app_context() and "moderation" in current_app.extensions:
        return current_app.extensions["moderation"].ruleset.resources
    return load_resources()
