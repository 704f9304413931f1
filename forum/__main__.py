"""`python -m forum`: serve the forum with Socket.IO (development and `make run`)."""

from __future__ import annotations

import logging
import os

from . import create_app
from .extensions import socketio


def main() -> None:
    """Serve on HOST:PORT (default 127.0.0.1:5000)."""
    app = create_app()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * The forum is at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    # No access log: it would write every member's IP address to the terminal.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    socketio.run(
        app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
        log_output=False,
    )


if __name__ == "__main__":
    main()
