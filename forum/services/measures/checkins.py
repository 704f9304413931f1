"""The consented check-in: belonging and recovery capital, every four weeks, kept apart from
the account and used only in aggregate.

How answers are kept apart
--------------------------
Opting in stores one row beside the account: `checkin_consents(user_id, salt)`, where salt is 32
random bytes. Each answer row stores only `member_key = HMAC-SHA256(secret, "checkin:" + user id
+ ":" + salt)`, the Monday of the week it was given and the numbers. The secret is the app's
CHECKIN_KEY_SECRET (or, when unset, SECRET_KEY), which lives in configuration or instance/, never
in the database. So:

- the database alone cannot link an answer to an account: without the secret no one can compute
  which member_key belongs to which salt, and the answers table has no account column, no
  account-side timestamp to line up (the consent row has none) and random row ids;
- the app, holding the secret, recomputes the member's key on demand: to show the member their
  own trend, to enforce the four-week interval, to export their answers and to erase them;
- storing an answer rewrites every consent row in the same transaction, so the database's own
  row versions (PostgreSQL's xmin) cannot pair an answer with the one consent written beside it;
  old row versions linger only until vacuum, and physical row order says only in which order
  answers came, not from whom;
- withdrawing deletes the answers and then the salt; deleting the account does the same. Once the
  salt is gone no one, not even with the secret, can find any copy left in an old backup.

Keep CHECKIN_KEY_SECRET stable: if it changes, earlier answers can no longer be found by their
members (they still count in aggregates, and can no longer be withdrawn one by one).

Instrument: the Brief Assessment of Recovery Capital (BARC-10), Vilsaint, C. L., Kelly, J. F.,
Bergman, B. G., Groshkova, T., Best, D., & White, W. (2017). Drug and Alcohol Dependence, 177,
71-76. Ten items on a six-point agreement scale; the total runs from 10 to 60.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...models import CheckinAnswer, CheckinConsent, User
from .. import clock, transaction
from .figures import series_of
from .report import Figure, Period, monday, register_figure

log = logging.getLogger("forum.checkins")

INTERVAL = timedelta(weeks=4)
CITATION = (
    "Vilsaint, C. L., Kelly, J. F., Bergman, B. G., Groshkova, T., Best, D., & White, W. (2017)."
    " Development and validation of a Brief Assessment of Recovery Capital (BARC-10) for alcohol"
    " and drug use disorder. Drug and Alcohol Dependence, 177, 71-76."
    " https://doi.org/10.1016/j.drugalcdep.2017.03.022"
)
CONNECTED_QUESTION = _l("How connected do you feel to this community?")
CONNECTED_SCALE = (
    (1, _l("Not at all connected")),
    (2, _l("A little connected")),
    (3, _l("Somewhat connected")),
    (4, _l("Quite connected")),
    (5, _l("Very connected")),
)
BARC_ITEMS = (
    _l("There are more important things to me in life than using substances."),
    _l("In general I am happy with my life."),
    _l("I have enough energy to complete the tasks I set myself."),
    _l("I am proud of the community I live in and feel a part of it."),
    _l("I get lots of support from friends."),
    _l("I regard my life as challenging and fulfilling without the need for using drugs or"
       " alcohol."),
    _l("My living space has helped to drive my recovery journey."),
    _l("I take full responsibility for my actions."),
    _l("I am happy dealing with a range of professional people."),
    _l("I am making good progress on my recovery journey."),
)
AGREEMENT_SCALE = (
    (1, _l("Strongly disagree")),
    (2, _l("Disagree")),
    (3, _l("Somewhat disagree")),
    (4, _l("Somewhat agree")),
    (5, _l("Agree")),
    (6, _l("Strongly agree")),
)


def _secret() -> bytes:
    secret = current_app.config.get("CHECKIN_KEY_SECRET") or current_app.config["SECRET_KEY"]
    return secret.encode() if isinstance(secret, str) else secret


def _key(user_id: int, salt: str) -> str:
    message = f"checkin:{user_id}:{salt}".encode()
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


def _consent(user: User) -> CheckinConsent | None:
    return db.session.get(CheckinConsent, user.id)


def member_key(user: User) -> str | None:
    """The member's answer key, recomputed from the secret and their salt (None: not opted in)."""
    consent = _consent(user)
    return _key(user.id, consent.salt) if consent else None


def is_opted_in(user: User) -> bool:
    """Has this member opted in to the check-in?"""
    return _consent(user) is not None


def _authenticated(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    return user


def do_opt_in(*, acting_user: User) -> None:
    """Opt in: store a fresh random salt beside the account (nothing else)."""
    user = _authenticated(acting_user)
    if _consent(user) is None:
        db.session.add(CheckinConsent(user_id=user.id, salt=secrets.token_hex(32)))
        transaction.commit()
        log.info("checkin opt-in account_id=%s", user.id)


def _erase(user: User) -> int:
    key = member_key(user)
    if key is None:
        return 0
    count = db.session.execute(delete(CheckinAnswer).where(CheckinAnswer.member_key == key))
    db.session.execute(delete(CheckinConsent).where(CheckinConsent.user_id == user.id))
    return count.rowcount or 0


def do_withdraw(*, acting_user: User) -> int:
    """Withdraw: erase every answer the member gave, then the salt. Returns answers erased."""
    user = _authenticated(acting_user)
    count = _erase(user)
    transaction.commit()
    log.info("checkin withdrawn account_id=%s answers_erased=%s", user.id, count)
    return count


@dataclass(frozen=True)
class TrendPoint:
    """One of the member's own check-ins."""

    week: date
    connected: int
    barc_total: int


def own_answers(user: User) -> list[CheckinAnswer]:
    """The member's own answers, oldest first (found through their key)."""
    key = member_key(user)
    if key is None:
        return []
    return list(db.session.scalars(select(CheckinAnswer).where(CheckinAnswer.member_key == key)
                                   .order_by(CheckinAnswer.week)))


def own_trend(*, acting_user: User) -> list[TrendPoint]:
    """The member's trend, for their eyes only."""
    user = _authenticated(acting_user)
    return [TrendPoint(a.week, a.connected, sum(a.barc)) for a in own_answers(user)]


def next_due(user: User, today: date | None = None) -> date | None:
    """The first day the member may check in again (today if due; None if not opted in)."""
    if not is_opted_in(user):
        return None
    today = today or clock.now().date()
    answers = own_answers(user)
    if not answers:
        return today
    return max(today, answers[-1].week + INTERVAL)


def is_due(user: User, today: date | None = None) -> bool:
    """Is a check-in offered to this member now?"""
    today = today or clock.now().date()
    due = next_due(user, today)
    return due is not None and due <= today


def _choice(value: Any, allowed: range, field: str, message: str,
            reasons: dict[str, list[str]]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number not in allowed:
        reasons[field] = [message]
    return number


def check_submit(answers: Mapping[str, Any], *, acting_user: User,
                 today: date | None = None) -> CheckinAnswer:
    """Store one check-in (`connected` 1-5, `barc_1`..`barc_10` 1-6) if opted in and due."""
    user = _authenticated(acting_user)
    today = today or clock.now().date()
    if not is_opted_in(user):
        raise ValidationFailed({"": [str(_l("Opt in first to answer the check-in."))]})
    if not is_due(user, today):
        raise ValidationFailed({"": [str(_l(
            "The next check-in opens on %(day)s.", day=next_due(user, today).isoformat()))]})
    reasons: dict[str, list[str]] = {}
    connected = _choice(answers.get("connected"), range(1, 6), "connected",
                        str(_l("Please choose how connected you feel.")), reasons)
    barc = [_choice(answers.get(f"barc_{i}"), range(1, 7), f"barc_{i}",
                    str(_l("Please choose an answer for statement %(n)d.", n=i)), reasons)
            for i in range(1, len(BARC_ITEMS) + 1)]
    if reasons:
        raise ValidationFailed(reasons)
    row = CheckinAnswer(id=secrets.token_hex(16), member_key=member_key(user),
                        week=monday(today), connected=connected, barc=barc)
    db.session.add(row)
    # Rewrite every consent row in the answer's transaction, so PostgreSQL's row versions
    # (xmin) tie the answer to all members who opted in rather than to the one who answered.
    db.session.execute(update(CheckinConsent).values(salt=CheckinConsent.salt))
    transaction.commit()
    # No account id here: a log line tying an account to an answer's week would be the join.
    log.info("checkin answered")
    return row


# -- aggregates ---------------------------------------------------------------------------


def _answer_rows(period: Period) -> list[CheckinAnswer]:
    return list(db.session.scalars(select(CheckinAnswer).where(
        CheckinAnswer.week >= period.start, CheckinAnswer.week < period.end)))


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def connectedness(period: Period) -> Figure:
    """Mean answer to "how connected do you feel" (1-5); people are the members who answered."""
    rows = [(a.week, a.member_key, a.connected) for a in _answer_rows(period)]
    return Figure("checkin_connected", [series_of(period, rows, "", _mean)])


def recovery_capital(period: Period) -> Figure:
    """Mean BARC-10 total (10-60); people are the members who answered."""
    rows = [(a.week, a.member_key, sum(a.barc)) for a in _answer_rows(period)]
    return Figure("checkin_barc", [series_of(period, rows, "", _mean)])


# -- export and account deletion -----------------------------------------------------------


def member_export(user: User) -> list[dict[str, Any]]:
    return [{"week": a.week.isoformat(), "connected": a.connected, "barc_10": list(a.barc),
             "barc_10_total": sum(a.barc)} for a in own_answers(user)]


def member_erase(user: User, _keep: bool) -> None:
    # Answers are the member's own: erased whatever they chose for their posts.
    _erase(user)


def register() -> None:
    """Register the check-in figures and take part in export and account deletion."""
    consented = _l("Only from members who opted in to the check-in; answers given that week.")
    register_figure("checkin_connected", _l("Feeling connected to this community"),
                    connectedness, unit=_l("mean, 1 to 5"), note=consented)
    register_figure("checkin_barc", _l("Recovery capital (BARC-10)"), recovery_capital,
                    unit=_l("mean total, 10 to 60"), note=consented)
