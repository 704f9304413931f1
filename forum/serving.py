"""Production serving: a gunicorn gthread worker that closes live chat connections cleanly.

Each WebSocket is a long request holding one of the worker's threads (simple-websocket), so a
plain gthread worker on SIGTERM would wait out its graceful timeout and then drop members' sockets
mid-frame. This worker, once told to stop, closes every Socket.IO connection with a proper close
frame (clients reconnect to another process and catch up), then lets in-flight HTTP requests
finish as usual.
"""

from __future__ import annotations

import gc
import logging
import threading

from gunicorn.workers.gthread import ThreadWorker

from .extensions import socketio
from .services import jobs, presence
from .services.push import delivery as push_delivery

log = logging.getLogger("forum.serving")


def close_live_connections() -> int:
    """Close every Socket.IO connection of this process; returns how many there were."""
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    sockets = list(server.eio.sockets.values())
    # Logged first: once the sockets close the worker may exit before this thread goes on.
    log.info("closing live connections count=%s", len(sockets))
    for sock in sockets:
        # Not server.eio.disconnect(): it waits for each socket's send queue to drain, and a
        # client that answers the goodbye by closing at once leaves one more item in that
        # queue, so the wait never ends. The first such socket held every later one open until
        # the master killed the worker at the graceful timeout, and their members stayed
        # counted in their rooms until the presence entries expired.
        try:
            sock.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
        except Exception:  # shutting down regardless
            log.exception("closing a live connection failed")
    # Their disconnect handlers may not all run before the worker exits: the presence counts
    # lose this process's connections here, not when the entries expire.
    try:
        presence.forget_all()
    except Exception:  # shutting down regardless
        log.exception("forgetting this process's presence failed")
    return len(sockets)


def settle_heap(app, timeout_s: float = 300.0) -> threading.Thread:
    """Once start-up has loaded everything (the classifier's model included), hide it from the
    cyclic garbage collector (gc.freeze). A full collection otherwise walks every module, model
    and mapper each time and stopped the whole process for 70 to 100 ms, mid-chat; frozen, it
    walks only what serving made since (about 30 ms). Runs in a thread: loading may take a while.
    """

    def settle() -> None:
        pipeline = app.extensions.get("moderation")
        if pipeline is not None:
            pipeline.wait_warm(timeout_s)
        gc.collect()  # start-up garbage goes now, not frozen in forever
        gc.freeze()
        log.info("start-up heap settled frozen_objects=%s", gc.get_freeze_count())

    thread = threading.Thread(target=settle, name="forum-settle-heap", daemon=True)
    thread.start()
    return thread


class ForumWorker(ThreadWorker):
    """gthread, plus the forum's background work once the app is loaded, and a clean close of
    live connections when asked to stop."""

    def load_wsgi(self) -> None:
        """In the worker, after the fork, once the app is built: start the job scheduler (job
        leases keep each due job's run to one process; the room-exit sweep runs in each) and
        the push sender, and settle the start-up heap once the classifier has loaded."""
        super().load_wsgi()
        app = self.wsgi
        jobs.start_scheduler(app)
        # Web Push leaves within seconds of its event: a sender thread a commit wakes.
        push_delivery.start_sender(app)
        settle_heap(app)

    def handle_exit(self, sig, frame) -> None:
        """SIGTERM: stop accepting, close sockets in a thread (not in the signal handler)."""
        was_alive = self.alive
        super().handle_exit(sig, frame)
        if was_alive:
            threading.Thread(target=self._close_sockets, name="forum-close", daemon=True).start()

    def _close_sockets(self) -> None:
        close_live_connections()
