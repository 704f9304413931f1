"""Domain operations. Nothing here knows about HTTP requests, sessions or Socket.IO."""


def register_hooks() -> None:
    """Tell the shared mechanisms (rescreen, export, deletion) about each kind of content."""
    from . import accounts, jobs, mod_inbox, review_alerts, review_content  # noqa: F401

    accounts.register_rescreen()
    # The review queue (issue 5): where content lives, urgent alerts, and the named jobs.
    review_content.register()
    mod_inbox.register()
