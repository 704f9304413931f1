"""Sign-ins: one row per signed-in browser, which its owner can see and end.

The browser's session cookie names the row; the row ending ends the session on the next request
or Socket.IO event, and a `sign_in.ended` event lets open connections be closed at once. Rows
keep no address or user agent: when it began, the hour it was last seen, the name the owner
gave the device, and whether a second factor opened it.

Staff sessions (see staff_gate) also end after FORUM_STAFF_IDLE_MINUTES without use; the
deadline is moved at most once a minute, so a busy moderator costs one write a minute.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ...errors import PermissionDenied
from ...extensions import db
from ...models import SignIn, User
from .. import audit, clock, events, transaction
from . import remember_tokens, staff_gate, step_up

log = logging.getLogger("forum.accounts")

ENDED = "sign_in.ended"
DEFAULT_IDLE_MINUTES = 60
# The deadline is written again only when it moved by this much (one write a minute at most).
_DEADLINE_STEP = timedelta(minutes=1)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def idle_limit() -> timedelta:
    """How long a staff session may go unused (FORUM_STAFF_IDLE_MINUTES)."""
    minutes = current_app.config.get("STAFF_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES
    return timedelta(minutes=int(minutes))


def _deadline_for(user: User, now: datetime) -> datetime | None:
    return now + idle_limit() if staff_gate.is_staff(user) else None


def do_start(user: User, *, second_factor: str | None, device_name: str | None = None,
             step_up_method: str = "password") -> SignIn:
    """A new sign-in for this browser (committed): signing in counts as proving it is them."""
    now = clock.now()
    row = SignIn(user_id=user.id, created_at=now, last_seen_at=_hour(now),
                 device_name=_clean_name(device_name), second_factor=second_factor,
                 stepped_up_at=now, step_up_method=second_factor or step_up_method,
                 idle_deadline=_deadline_for(user, now))
    db.session.add(row)
    transaction.commit()
    log.info("sign-in started account_id=%s second_factor=%s", user.id, second_factor or "none")
    return row


def _clean_name(name: str | None) -> str | None:
    # Control characters (NUL among them, which PostgreSQL refuses) and lone surrogates go;
    # runs of spaces become one.
    kept = "".join(ch for ch in (name or "") if unicodedata.category(ch) not in ("Cc", "Cs"))
    name = " ".join(kept.split())[:64]
    return name or None


def find(user_id: int, sign_in_id: int) -> SignIn | None:
    """The account's sign-in with this id, if it is still open."""
    row = db.session.get(SignIn, sign_in_id)
    if row is None or row.user_id != user_id:
        return None
    return row


def is_idle(row: SignIn, now: datetime | None = None) -> bool:
    """Whether a staff session went unused past its deadline."""
    return row.idle_deadline is not None and row.idle_deadline <= (now or clock.now())


def touch(row: SignIn, user: User, now: datetime | None = None) -> None:
    """Note a use: the hour last seen and a staff session's idle deadline (commits if changed)."""
    now = now or clock.now()
    changed = False
    if row.last_seen_at < _hour(now):
        row.last_seen_at = _hour(now)
        changed = True
    deadline = _deadline_for(user, now)
    if deadline is None:
        if row.idle_deadline is not None:
            row.idle_deadline, changed = None, True
    elif row.idle_deadline is None or deadline - row.idle_deadline >= _DEADLINE_STEP:
        row.idle_deadline, changed = deadline, True
    if changed:
        # Committed without expiring what the request already loaded (the account's roles and
        # the mutes in force, read with it): reloading them would cost a query each.
        transaction.commit(keep_loaded=True)


def list_for(user: User) -> list[SignIn]:
    """The account's open sign-ins, newest first."""
    return list(db.session.scalars(
        select(SignIn).where(SignIn.user_id == user.id)
        .order_by(SignIn.created_at.desc(), SignIn.id.desc())))


def _end_rows(rows: list[SignIn], reason: str) -> list[int]:
    ids = [row.id for row in rows]
    if ids:
        db.session.execute(delete(SignIn).where(SignIn.id.in_(ids)))
        events.publish(ENDED, {"sign_in_ids": ids, "reason": reason})
    return ids


def do_end(user: User, sign_in_id: int) -> bool:
    """End one of the owner's sign-ins (committed); False when it was not theirs or is gone."""
    row = find(user.id, sign_in_id)
    if row is None:
        return False
    _end_rows([row], "ended")
    transaction.commit()
    log.info("sign-in ended by owner account_id=%s", user.id)
    return True


def do_end_idle(sign_in: SignIn) -> None:
    """End a staff session found idle when it came back (committed)."""
    _end_rows([sign_in], "idle")
    transaction.commit()
    log.info("idle staff sign-in ended account_id=%s", sign_in.user_id)


def end_others(user: User, keep_id: int | None, reason: str) -> int:
    """End the account's sign-ins but one (joins the caller's transaction); how many ended."""
    rows = [row for row in list_for(user) if row.id != keep_id]
    return len(_end_rows(rows, reason))


def end_password_only(user: User, keep_id: int | None, reason: str) -> int:
    """End the account's other sign-ins that no second factor opened (joins the caller's
    transaction); how many ended."""
    rows = [row for row in list_for(user) if row.id != keep_id and row.second_factor is None]
    return len(_end_rows(rows, reason))


def do_end_others(user: User, keep_id: int | None) -> int:
    """End every other sign-in of the owner's (committed)."""
    ended = end_others(user, keep_id, "ended")
    transaction.commit()
    log.info("other sign-ins ended by owner account_id=%s count=%s", user.id, ended)
    return ended


def can_end_all_of(admin: User | None) -> bool:
    """Only an admin (in a sign-in that may use the role) ends another account's sessions."""
    return (admin is not None and getattr(admin, "is_authenticated", False)
            and admin.has_role("admin"))


def do_end_all_by_admin(admin: User, member: User, reason: str | None = None) -> int:
    """An admin ends every sign-in of an account, and forgets its remembered devices (audited
    with how the admin last proved it was them; needs a fresh step-up)."""
    if not can_end_all_of(admin):
        raise PermissionDenied()
    method = step_up.require(admin)
    # Remembered devices too, counted before their sign-ins take them along (foreign key):
    # otherwise a token older than sign-ins would sign straight back in.
    from_tokens = remember_tokens.do_revoke_all(member)
    ended = end_others(member, None, "admin")
    audit.record("account.sessions_ended", acting_user=admin, target_type="user",
                 target_id=member.id, reason=reason,
                 details={"sign_ins": ended, "remembered_devices": from_tokens,
                          "step_up": method})
    transaction.commit()
    log.info("sign-ins ended by admin account_id=%s admin_id=%s", member.id, admin.id)
    return ended


def rename(user: User, sign_in_id: int, name: str | None) -> bool:
    """Name a device so its owner can tell their sessions apart (committed)."""
    row = find(user.id, sign_in_id)
    if row is None:
        return False
    row.device_name = _clean_name(name)
    transaction.commit()
    return True


def open_among(sign_in_ids: Iterable[int], now: datetime | None = None) -> set[int]:
    """Which of these sign-ins are still open: not ended, and not past an idle deadline."""
    ids = sorted(set(sign_in_ids))
    if not ids:
        return set()
    now = now or clock.now()
    rows = db.session.execute(
        select(SignIn.id, SignIn.idle_deadline).where(SignIn.id.in_(ids))).all()
    return {row.id for row in rows if row.idle_deadline is None or row.idle_deadline > now}


def end_idle(now: datetime) -> int:
    """Job: end staff sessions past their idle deadline; how many ended."""
    rows = list(db.session.scalars(select(SignIn).where(SignIn.idle_deadline <= now)))
    ended = _end_rows(rows, "idle")
    if ended:
        transaction.commit()
        log.info("idle staff sign-ins ended count=%s", len(ended))
    return len(ended)
