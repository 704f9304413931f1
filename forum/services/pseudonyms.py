"""Pseudonym rules and friendly suggestions."""

from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l

PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,32}$")

# Names that could be mistaken for staff or the system, or that hide who is speaking.
RESERVED = frozenset(
    {
        "admin",
        "administrator",
        "moderator",
        "mod",
        "mods",
        "staff",
        "system",
        "support",
        "anonymous",
        "anon",
        "facilitator",
        "supervisor",
        "root",
        "official",
        "team",
        "help",
        "helpline",
        "crisis",
        "forum",
        "deleted",
        "deleted-member",
        "nobody",
        "null",
        "none",
        "everyone",
        "here",
        "peer-support",
        "peersupport",
        "counselor",
        "therapist",
        "doctor",
    }
)

_ADJECTIVES = (
    "calm",
    "brave",
    "steady",
    "gentle",
    "hopeful",
    "quiet",
    "bright",
    "kind",
    "patient",
    "sunny",
    "warm",
    "mindful",
    "honest",
    "still",
    "rising",
    "grounded",
    "clear",
    "open",
)
_NOUNS = (
    "river",
    "oak",
    "harbor",
    "meadow",
    "lantern",
    "heron",
    "sparrow",
    "cedar",
    "tide",
    "willow",
    "ember",
    "summit",
    "brook",
    "pine",
    "morning",
    "compass",
    "garden",
    "otter",
)


def pseudonym_key(pseudonym: str) -> str:
    """The case-insensitive form used for uniqueness."""
    return pseudonym.casefold()


def pseudonym_problems(pseudonym: str) -> list[str]:
    """Reasons the pseudonym's form is refused (uniqueness and screening are checked apart)."""
    if not PATTERN.match(pseudonym):
        return [
            str(
                _l(
                    "Use 3 to 32 characters: letters, digits, _ and - only"
                    " (no spaces or other symbols)."
                )
            )
        ]
    stripped = pseudonym_key(pseudonym).strip("_-").replace("_", "-")
    if stripped in RESERVED or stripped.replace("-", "") in RESERVED:
        return [str(_l("That name is reserved so nobody can be mistaken for staff. Pick another."))]
    return []


def suggest_pseudonym() -> str:
    """A random, friendly pseudonym such as steady-heron-42."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(90) + 10}"
