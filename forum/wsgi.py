"""The WSGI application for production servers: `gunicorn -c python:forum.gunicorn_conf`."""

from __future__ import annotations

from . import create_app

app = create_app()
