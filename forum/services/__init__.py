"""Domain operations. Nothing here knows about HTTP requests, sessions or Socket.IO."""


def register_hooks() -> None:
    """Tell the shared mechanisms (rescreen, export, deletion) about each kind of content."""
    # Here, not at the top: every service imports this package first, so importing them all
    # at package load would make each service load every other one.
    from . import (  # noqa: F401, PLC0415 - importing registers jobs, alerts and export/deletion
        accounts,
        chat,
        chat_review,
        checkins,
        jobs,
        measure_figures,
        meetings,
        mod_inbox,
        posts,
        push_delivery,
        review_alerts,
        review_claims,
        review_content,
        room_controls,
        room_entry,
        room_guards,
        sign_ins,
        support_rooms,
        team_stats,
        thread_privacy,
    )

    # Timed work of the review queue, and screening again what the classifier missed.
    jobs.register("review.escalate", 30, review_alerts.run_escalation)
    jobs.register("review.lapse", 60, review_claims.run_lapse)
    jobs.register("review.snapshot", 900, team_stats.take_snapshot)
    jobs.register("moderation.rescreen", 120, jobs.rescreen_batch)
    # Staff sessions left unused past FORUM_STAFF_IDLE_MINUTES end (members' are untouched).
    jobs.register("accounts.idle_sign_ins", 60, sign_ins.end_idle)

    accounts.register_rescreen()
    posts.register_rescreen()
    chat.register_rescreen()
    # The review queue: where content lives, urgent alerts, and the named jobs.
    review_content.register()
    mod_inbox.register()
    # Live chat: held and flagged chat messages in the review queue.
    chat_review.register()
    # Community measures: engagement figures, then the consented check-in.
    measure_figures.register()
    checkins.register()
    # Scheduled meetings: the open rule, attendance, reminders and retention jobs.
    meetings.register()
    # Talk to someone now: private support rooms, held notes, export and the fallback job.
    support_rooms.register()
    # Facilitator tools in rooms: open/close override, send guards, crisis alerts to hosts.
    room_controls.register()
    room_guards.register()
    room_entry.register()
    # Web Push: the outbox's retry job, the sender's wake-up, devices in export and deletion.
    push_delivery.register()
