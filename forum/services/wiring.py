"""Where the features are connected to the shared mechanisms, in one place and one order.

`connect()` runs once per app (services.init_app): every kind of member content (the review
queue, export and deletion, rescreen), every timed job, then each feature's cross-feature rules.
Line order is precedence: open rules and send guards run in the order registered here, and
the measures pages show figures in it. No feature registers anything itself.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import events, jobs, review_queue
from .accounts import account as accounts, sign_ins
from .chat import (
    badges as staff_badges,
    entry as room_entry,
    facilitation as room_controls,
    guards as room_guards,
    messages as chat,
    review as chat_review,
)
from .content_kinds import ContentKind, register as register_kind
from .measures import checkins, feeds as measure_feeds, figures as measure_figures
from .meetings import (
    access as meetings_access,
    attendance as meetings_attendance,
    reminders as meetings_reminders,
    schedule as meetings,
    sessions as meetings_sessions,
)
from .push import (
    delivery as push_delivery,
    outbox as push_outbox,
    subscriptions as push_subscriptions,
)
from .review import (
    alerts as review_alerts,
    claims as review_claims,
    content as review_content,
    inbox as mod_inbox,
    stats as team_stats,
)
from .support import requests as support_requests, rooms as support_rooms
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

    # An item that becomes urgent alerts the moderators on duty at once.
    review_queue.on_urgent(review_alerts.alert_on_duty)
    # Timed work of the review queue, and screening again what the classifier missed.
    jobs.register("review.escalate", 30, review_alerts.run_escalation)
    jobs.register("review.lapse", 60, review_claims.run_lapse)
    jobs.register("review.snapshot", 900, team_stats.take_snapshot)
    jobs.register("moderation.rescreen", 120, jobs.rescreen_batch)
    # Staff sessions left unused past FORUM_STAFF_IDLE_MINUTES end (members' are untouched).
    jobs.register("accounts.idle_sign_ins", 60, sign_ins.end_idle)

    # Scheduled meetings: sessions, reminders and retention.
    jobs.register("meetings.sessions", 60, meetings_sessions.run_bookkeeping)
    jobs.register("meetings.reminders", 60, meetings_reminders.run_reminders)
    jobs.register("meetings.retention", 3600, meetings_reminders.run_retention)
    # Talk to someone now: a request nobody took in time gets the fallback.
    jobs.register("support.fallback", 30, support_requests.run_fallback)
    # Web Push: the outbox's clean-up and retries; a committed push wakes the sender.
    jobs.register("push.deliver", push_delivery.CLEAN_EVERY_S, push_delivery.run_job)
    events.subscribe(push_outbox.QUEUED, push_delivery.on_queued)

    # Is a room open now? The facilitator's open/close override first, then the rules of
    # meetings (only during a session) and support rooms (only while the request is open).
    chat.register_open_override(room_controls.open_override)
    chat.register_open_rule(meetings_sessions.is_room_open)
    chat.register_open_rule(support_rooms.open_rule)
    # Who may enter and see a support room, and whether it is listed: its two people only.
    chat.register_access_rule(support_rooms.access_rule)
    chat.register_listed_rule(support_rooms.listed_rule)
    # Sending: the facilitator's guards (lock, slow mode, mutes), then the alert to hosts
    # after a crisis message.
    chat.register_send_guard(room_guards.guard_send)
    chat.register_sent_observer(room_guards.alert_facilitators)
    # Attendance counts who is in a meeting's room.
    chat.register_presence_observer(meetings_attendance.observe_presence)
    # A meeting's hosts facilitate its room; ending the session there ends the meeting's
    # session; each new session starts from fresh settings; the meeting's capacity holds.
    room_controls.register_host_rule(meetings_access.host_rule)
    room_controls.register_session_end_observer(meetings_sessions.observe_session_end)
    room_controls.register_session_start(meetings_sessions.latest_session_start)
    room_entry.register_capacity(meetings_access.room_capacity)
    staff_badges.register_facilitator_rule(room_controls.can_facilitate)

    # Community measures, in the order the pages show them: engagement, the consented
    # check-in, meetings, then support (aggregates only).
    measure_figures.register()
    checkins.register()
    measure_feeds.register_meeting_figures(meetings_attendance.held_session_rows)
    measure_feeds.register_support_figures(support_rooms.request_rows)
