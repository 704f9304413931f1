"""Domain operations. Nothing here knows about HTTP requests, sessions or Socket.IO.

Features are connected to the shared mechanisms (content kinds, jobs, rules) in wiring.py."""

from flask import Flask

from . import wiring


def init_app(_app: Flask) -> None:
    """Connect every feature (wiring.py): content kinds, jobs and cross-feature rules."""
    wiring.connect()
