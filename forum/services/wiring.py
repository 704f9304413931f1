"""Where the features are connected to the shared mechanisms, in one place and one order.

`connect()` runs once per app (services.init_app): every kind of member content (the review
queue, export and deletion, rescreen), every timed job, then each feature's cross-feature rules.
Line order is precedence: open rules and send guards run in the order registered here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import jobs
from .accounts import account as accounts, sign_ins
from .chat import (
    entry as room_entry,
    facilitation as room_controls,
    guards as room_guards,
    messages as chat,
    review as chat_review,
)
from .content_kinds import ContentKind, register as register_kind
from .measures import checkins, figures as measure_figures
from .meetings import reminders as meetings_reminders, schedule as meetings
from .push import delivery as push_delivery, subscriptions as push_subscriptions
from .review import (
    alerts as review_alerts,
    claims as review_claims,
    content as review_content,
    inbox as mod_inbox,
    stats as team_stats,
)
from .support import rooms as support_rooms
from .support.requests import NOTE_KIND
from .threads import posts, privacy as thread_privacy


def _keeps_nothing(_user, _keep: bool) -> None:
    """Preferences go with the account row itself."""


def content_kinds() -> list[ContentKind]:
    """Every kind of member content; deletion runs in this order (posts, chat, then what
    refers to rooms and meetings, then settings)."""
    return [
        ContentKind("post", label=_l("Post"), texts=review_content.post_texts,
                    context=review_content.post_context, locate=review_content.locate_post,
                    approve=posts.review_approve, remove=posts.review_remove,
                    export_as="posts", export=thread_privacy.member_export,
                    erase=thread_privacy.member_erase,
                    rescreen_load=posts.rescreen_text, rescreen_apply=posts.rescreen_verdict),
        ContentKind("report", label=_l("Report reason"), texts=review_content.report_texts,
                    locate=review_content.locate_report),
        ContentKind(chat.KIND, label=_l("Chat message"), texts=review_content.chat_texts,
                    locate=chat_review.review_locate, approve=chat_review.review_approve,
                    remove=chat_review.review_remove, export_as="chat_messages",
                    export=chat_review.member_export, erase=chat_review.member_erase,
                    rescreen_load=chat.rescreen_text, rescreen_apply=chat.rescreen_verdict),
        # Title and description were screened apart: spans don't fit the joined text.
        ContentKind(meetings.KIND, label=_l("Meeting"), texts=review_content.meeting_texts,
                    spans_fit=False, locate=meetings.review_locate,
                    approve=meetings.review_approve, remove=meetings.review_remove),
        ContentKind(NOTE_KIND, label=_l("Note to a peer supporter"),
                    texts=review_content.support_note_texts,
                    locate=support_rooms.review_locate_note,
                    approve=support_rooms.review_approve_note,
                    remove=support_rooms.review_remove_note, export_as="support_requests",
                    export=support_rooms.member_export, erase=support_rooms.member_erase),
        # Approving a name leaves it; removing replaces it with a friendly free one.
        ContentKind("pseudonym", label=_l("Pseudonym"), texts=review_content.pseudonym_texts,
                    locate=review_content.locate_pseudonym,
                    remove=review_content.remove_pseudonym,
                    rescreen_load=accounts.rescreen_text,
                    rescreen_apply=accounts.rescreen_verdict),
        ContentKind("team_message", label=_l("Message to the moderation team"),
                    texts=review_content.team_message_texts, locate=mod_inbox.locate),
        # In the member's export and deletion only.
        ContentKind("checkins", export_as="checkins", export=checkins.member_export,
                    erase=checkins.member_erase),
        ContentKind("meeting_reminders", export_as="meeting_reminders",
                    export=meetings_reminders.member_export,
                    erase=meetings_reminders.member_erase),
        ContentKind("room_participation", export_as="room_participation",
                    export=room_entry.member_export, erase=room_entry.member_erase),
        ContentKind("push_devices", export_as="push_devices",
                    export=push_subscriptions.member_export,
                    erase=push_subscriptions.member_erase),
        ContentKind("push_preferences", export_as="push_preferences",
                    export=push_subscriptions.member_export_preferences,
                    erase=_keeps_nothing),
    ]


def connect() -> None:
    """Register every content kind, job and cross-feature rule (idempotent: tests build many
    apps in one process)."""
    for kind in content_kinds():
        register_kind(kind)

    # Timed work of the review queue, and screening again what the classifier missed.
    jobs.register("review.escalate", 30, review_alerts.run_escalation)
    jobs.register("review.lapse", 60, review_claims.run_lapse)
    jobs.register("review.snapshot", 900, team_stats.take_snapshot)
    jobs.register("moderation.rescreen", 120, jobs.rescreen_batch)
    # Staff sessions left unused past FORUM_STAFF_IDLE_MINUTES end (members' are untouched).
    jobs.register("accounts.idle_sign_ins", 60, sign_ins.end_idle)

    # Community measures: engagement figures, then the consented check-in.
    measure_figures.register()
    checkins.register()
    # Scheduled meetings: the open rule, attendance, reminders and retention jobs.
    meetings.register()
    # Talk to someone now: private support rooms, held notes and the fallback job.
    support_rooms.register()
    # Facilitator tools in rooms: open/close override, send guards, crisis alerts to hosts.
    room_controls.register()
    room_guards.register()
    # Web Push: the outbox's retry job and the sender's wake-up.
    push_delivery.register()
