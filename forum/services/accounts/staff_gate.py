"""Staff accounts need a second factor: which accounts, and what a sign-in without one may do.

Moderators, supervisors and admins open held disclosures and reveal anonymous authors, so with
FORUM_STAFF_2FA=required (the default) their staff roles are locked in any sign-in that a second
factor did not open: they can sign in, and act as a member, but every role check answers no
until they enrol and sign in with it. Facilitators join them when FORUM_FACILITATOR_2FA is
"required" (the community's choice; "optional" by default). The same accounts are the "staff"
whose idle sessions end (sign_ins).
"""

from __future__ import annotations

from flask import current_app

from ...models import User

ALWAYS = ("moderator", "supervisor", "admin")
REQUIRED, OPTIONAL = "required", "optional"


def staff_roles() -> tuple[str, ...]:
    """The roles that count as staff under this community's settings."""
    if current_app.config.get("FACILITATOR_2FA", OPTIONAL) == REQUIRED:
        return (*ALWAYS, "facilitator")
    return ALWAYS


def held_staff_roles(user: User) -> tuple[str, ...]:
    """The staff roles the account holds, usable now or not."""
    return tuple(role for role in staff_roles() if user.holds_role(role))


def is_staff(user: User) -> bool:
    """Whether the account holds a staff role."""
    return bool(held_staff_roles(user))


def second_factor_required(user: User) -> bool:
    """Whether the account must sign in with a second factor to use its roles."""
    return current_app.config.get("STAFF_2FA", REQUIRED) == REQUIRED and is_staff(user)


def lock_for(user: User, second_factor: str | None) -> frozenset[str]:
    """The roles a sign-in opened with this second factor (None: none) may not use."""
    if second_factor is not None or not second_factor_required(user):
        return frozenset()
    return frozenset(held_staff_roles(user))


def is_locked(user: User) -> bool:
    """Whether this sign-in holds staff roles it may not use until a second factor."""
    return bool(user.locked_roles)


def step_up_method_of(user: User | None) -> str | None:
    """How the acting sign-in last proved it was its owner (for audit rows)."""
    sign_in = getattr(user, "sign_in", None)
    return getattr(sign_in, "step_up_method", None)
