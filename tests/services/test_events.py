"""The event bus: delivered after commit, dropped on rollback; recorders for tests."""

from __future__ import annotations

from forum.extensions import db
from forum.services import events


def test_a_recorder_hears_committed_events_and_is_gone_after(app):
    heard: list[str] = []
    usual: list[str] = []
    events.subscribe("test.usual", lambda ev: usual.append(ev.payload["n"]))
    with events.subscribed(("test.usual",), lambda ev: heard.append(ev.payload["n"])):
        events.publish("test.usual", {"n": "kept"})
        db.session.rollback()  # dropped: never committed
        events.publish("test.usual", {"n": "one"})
        db.session.commit()
    events.publish("test.usual", {"n": "two"})
    db.session.commit()
    assert heard == ["one"]
    assert usual == ["one", "two"]


def test_alone_sets_the_usual_subscribers_aside_for_the_block(app):
    heard: list[str] = []
    usual: list[str] = []
    events.subscribe("test.alone", lambda ev: usual.append(ev.payload["n"]))
    with events.subscribed(["test.alone"], lambda ev: heard.append(ev.payload["n"]), alone=True):
        events.publish("test.alone", {"n": "one"})
        db.session.commit()
    events.publish("test.alone", {"n": "two"})
    db.session.commit()
    assert heard == ["one"] and usual == ["two"]
