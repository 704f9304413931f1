"""Pseudonym rules and friendly suggestions."""

from __future__ import annotations

import re
import secrets
import unicodedata

from flask_babel import lazy_gettext as _l

PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,32}$")

# Words that claim a role or stand for the system, refused as any part of a name (split on
# separators, digits and camelCase, compared by skeleton), in English and Spanish: the staff
# badge, never the name, says who is staff. "personal" (Spanish for staff) is left out: in
# English it is an ordinary word.
ROLE_WORDS = frozenset(
    {
        "admin", "admins", "administrator", "administrador", "administradora",
        "moderator", "moderators", "mod", "mods", "moderador", "moderadora", "moderadores",
        "facilitator", "facilitador", "facilitadora",
        "supervisor", "supervisora",
        "staff", "team", "equipo",
        "anonymous", "anon", "anonimo", "anonima",
        "deleted", "eliminado", "eliminada",
        "support", "soporte", "apoyo",
        "crisis", "helpline",
        "official", "oficial", "system", "sistema",
        "counselor", "therapist", "terapeuta", "doctor",
    }
)

# Whole names refused as they are: ordinary words as parts ("here-today"), not as a name.
RESERVED = frozenset(
    {
        "root", "forum", "foro", "help", "ayuda", "nobody", "nadie", "null", "none",
        "everyone", "todos", "here", "peer-support",
    }
)

# The labels shown in place of a name (threads.ANONYMOUS_LABEL, DELETED_LABEL, chat's
# ANONYMOUS_AUTHOR) in both languages: a name that reads as one of them is refused.
LABELS = ("Anonymous member", "Deleted member", "Miembro anonimo", "Miembro eliminado")

# Look-alikes within what PATTERN admits (ASCII only, so Unicode's confusables table has
# nothing more to add here): the pairs of UTS #39 confusables.txt among ASCII letters and
# digits, plus separators, which read alike. Sequences are replaced before single letters.
# Digits and separators first, then sequences ("c1" reads as "cl", so as "d"), then l as i
# (after case-folding, "I" and "l" are the pair that looks alike).
_FIRST = str.maketrans({"0": "o", "1": "l", "|": "l", "_": "-", ".": "-", " ": "-"})
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_LAST = str.maketrans({"l": "i"})
# Digits read as letters when they spell a word ("4dm1n", "5taff"); for role words only, not
# for the stored skeleton, where "river-75" and "river-ts" are plainly different names.
_LEET = str.maketrans({"3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_SEPARATORS = re.compile(r"-+")
_DIGITS = re.compile(r"[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def pseudonym_skeleton(pseudonym: str) -> str:
    """The form two names share when they look alike ("Rnod_Rowan" and "mod-rowan" both
    give "mod-rowan"): NFKC, case-folded, confusable letters and separators mapped."""
    text = unicodedata.normalize("NFKC", pseudonym).casefold()
    text = text.translate(_FIRST)
    for sequence, letter in _SEQUENCES:
        text = text.replace(sequence, letter)
    return _SEPARATORS.sub("-", text.translate(_LAST)).strip("-")


def _parts(pseudonym: str) -> set[str]:
    """The words a reader sees in a name, split on separators and camelCase; each read with
    its digits as letters ("m0d"), without the digits at its ends ("admin1"), and split on
    its digits ("deleted1member")."""
    parts: set[str] = set()
    for word in re.split(r"[-_.\s]+", _CAMEL.sub("-", pseudonym)):
        parts.add(pseudonym_skeleton(word).translate(_LEET))
        parts.add(pseudonym_skeleton(word.strip("0123456789")).translate(_LEET))
        parts.update(pseudonym_skeleton(piece) for piece in _DIGITS.split(word))
    parts.discard("")
    return parts


_ROLE_SKELETONS = frozenset(pseudonym_skeleton(word) for word in ROLE_WORDS)
_RESERVED_SKELETONS = frozenset(pseudonym_skeleton(word) for word in RESERVED)
_LABEL_SKELETONS = frozenset(pseudonym_skeleton(label).replace("-", "") for label in LABELS)


def is_reserved(pseudonym: str) -> bool:
    """True when the name claims a role, stands for the system or reads as a label."""
    skeleton = pseudonym_skeleton(_CAMEL.sub("-", pseudonym))
    if skeleton in _RESERVED_SKELETONS or skeleton.replace("-", "") in _RESERVED_SKELETONS:
        return True
    if skeleton.replace("-", "").translate(_LEET) in _LABEL_SKELETONS:
        return True
    return not _parts(pseudonym).isdisjoint(_ROLE_SKELETONS)


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
    if is_reserved(pseudonym):
        return [str(_l("That name is reserved: names can't include words such as moderator,"
                       " admin, facilitator, team, support or anonymous, so nobody is mistaken"
                       " for staff. Pick another."))]
    return []


def suggest_pseudonym() -> str:
    """A random, friendly pseudonym such as steady-heron-42."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(90) + 10}"
