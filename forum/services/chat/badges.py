"""Staff badges: what makes staff recognizable beside their name (never the name itself).

A post or chat message keeps the badge of the role its author wrote in (Post.author_badge,
ChatMessage.author_badge), set when it is stored: a moderator's old posts from before the role
do not turn into staff guidance, and a former moderator's words stay what they were. An
anonymous author is nobody, so anonymous posts and anonymous rooms never carry one.

Admins and moderators (supervisors are moderators) wear theirs everywhere. A facilitator
wears "Facilitator" only in the chat rooms they facilitate, where they host; on the boards
they write as a peer. Which rooms those are is asked of room_controls through a registered
rule, since chat, which stores the message, sits below it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from ...models import Room, User

ADMIN, MODERATOR, FACILITATOR = "admin", "moderator", "facilitator"
BADGES = (ADMIN, MODERATOR, FACILITATOR)
_LABELS = {ADMIN: _l("Admin"), MODERATOR: _l("Moderator"), FACILITATOR: _l("Facilitator")}
# Roles that carry a badge wherever their holder writes, strongest first.
_ROLE_BADGES = (("admin", ADMIN), ("moderator", MODERATOR), ("supervisor", MODERATOR))

FacilitatorRule = Callable[[Room, User], bool]
_FACILITATOR_RULES: list[FacilitatorRule] = []


def register_facilitator_rule(rule: FacilitatorRule) -> None:
    """Let room_controls say who facilitates a room (its can_facilitate)."""
    if rule not in _FACILITATOR_RULES:
        _FACILITATOR_RULES.append(rule)


def role_badge(user: User | None) -> str | None:
    """The badge a member's roles give them everywhere: admin, moderator, or none."""
    if user is None:
        return None
    for role, badge in _ROLE_BADGES:
        if user.has_role(role):
            return badge
    return None


def post_badge(user: User, *, anonymous: bool) -> str | None:
    """The badge stored on a new post: none on an anonymous one."""
    return None if anonymous else role_badge(user)


def chat_badge(room: Room, user: User) -> str | None:
    """The badge stored on a new chat message: none in an anonymous room; a facilitator's
    in a room they facilitate."""
    if room.anonymous:
        return None
    badge = role_badge(user)
    if badge is None and user.has_role("facilitator") and any(
            rule(room, user) for rule in _FACILITATOR_RULES):
        badge = FACILITATOR
    return badge


def badge_label(badge: str | None, *, anonymous: bool = False,
                author_id: int | None = None) -> str | None:
    """The translated badge shown beside a named author, or None: never for an anonymous
    author, nor for a deleted account (it would narrow down who wrote)."""
    if badge not in _LABELS or anonymous or author_id is None:
        return None
    return str(_LABELS[badge])
