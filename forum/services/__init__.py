"""Domain operations. Nothing here knows about HTTP requests, sessions or Socket.IO."""


def register_hooks() -> None:
    """Tell the shared mechanisms (rescreen, export, deletion) about each kind of content."""
    from . import accounts

    accounts.register_rescreen()
