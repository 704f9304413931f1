"""gunicorn settings for one forum process: `gunicorn -c python:forum.gunicorn_conf`.

One process per command (and per port): Socket.IO's long-polling transport keeps a session in
the process that opened it, so a reverse proxy pins each client to one process (docs/deploy.md)
and processes share PostgreSQL and Redis. Threads, not gevent or eventlet: the stack is
threading-based (SQLAlchemy, psycopg, the classifier) and every WebSocket holds one thread, so
FORUM_THREADS bounds the live connections of a process.
"""

from __future__ import annotations

import os

wsgi_app = "forum.wsgi:app"
bind = [f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
worker_class = "forum.serving.ForumWorker"
workers = 1
threads = int(os.environ.get("FORUM_THREADS", "200"))
# A kept-alive page connection must not hold a thread a chat socket needs for long.
keepalive = 5
graceful_timeout = int(os.environ.get("FORUM_GRACEFUL_TIMEOUT", "20"))
timeout = 60
# No access log: members' addresses are never written anywhere.
accesslog = None
disable_redirect_access_to_syslog = True
errorlog = "-"
loglevel = os.environ.get("FORUM_LOG_LEVEL", "info").lower()
proc_name = "forum"
# The forum's own log lines (ids and event names only) go to stderr beside gunicorn's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {
        "format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "forum": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"],
                           "propagate": False},
    },
}


control_socket_disable = True  # several processes per host: no shared control socket path
