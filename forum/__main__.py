"""`python -m forum`: serve the forum with Socket.IO (development and `make run`)."""

from __future__ import annotations

import logging
import os

from werkzeug.serving import WSGIRequestHandler

from . import create_app
from .extensions import socketio
from .services import jobs
from .services.push import delivery as push_delivery
from .serving import settle_heap


class AddresslessRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with the client address left out of every log line."""

    def address_string(self) -> str:
        """A placeholder instead of the client's address."""
        return "client"


def main() -> None:
    """Serve on HOST:PORT (default 127.0.0.1:5000)."""
    # The forum's own lines (account and item ids, event names, the classifier in use) to
    # stderr, as under gunicorn; other libraries' at warning and above.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.WARNING)
    app = create_app()
    # Escalation of urgent alerts and claim lapses run here, in the serving process only.
    jobs.start_scheduler(app)
    # Pushes to supporters' and members' devices go out as soon as their event commits.
    push_delivery.start_sender(app)
    # As under gunicorn: start-up's objects leave the collector's sight once models load.
    settle_heap(app)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * The forum is at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    # No access log, and no address in the server's error lines: members' IP addresses
    # must not be written anywhere.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    socketio.run(
        app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
        log_output=False, request_handler=AddresslessRequestHandler,
    )


if __name__ == "__main__":
    main()
