"""Domain operations. Nothing here knows about HTTP requests, sessions or Socket.IO."""


def register_hooks() -> None:
    """Tell the shared mechanisms (rescreen, export, deletion) about each kind of content."""
    from . import (  # noqa: F401 - importing registers jobs, alerts and export/deletion
        accounts,
        chat,
        checkins,
        jobs,
        measure_figures,
        meetings,
        mod_inbox,
        posts,
        review_alerts,
        review_content,
        room_controls,
        support_rooms,
        thread_privacy,
    )

    accounts.register_rescreen()
    posts.register_rescreen()
    # The review queue: where content lives, urgent alerts, and the named jobs.
    review_content.register()
    mod_inbox.register()
    # Live chat: held and flagged chat messages in the review queue.
    chat.register()
    # Community measures: engagement figures, then the consented check-in.
    measure_figures.register()
    checkins.register()
    # Scheduled meetings: the open rule, attendance, reminders and retention jobs.
    meetings.register()
    # Talk to someone now: private support rooms, held notes, export and the fallback job.
    support_rooms.register()
    # Facilitator tools in rooms: open/close override, send guards, crisis alerts to hosts.
    room_controls.register()
