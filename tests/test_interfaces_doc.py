"""docs/interfaces.md names every route and every Socket.IO event the server handles, and no
route that is gone: other programs and people read it as the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forum import create_app
from forum.extensions import socketio
from tests.conftest import _base_config

# No query is made: the app is built and its URL map and handlers read.
pytestmark = pytest.mark.dbfree

DOC = Path(__file__).resolve().parent.parent / "docs" / "interfaces.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A route row: | GET, POST | `/path` | ...
_METHOD = "(?:" + "|".join(METHODS) + ")"
ROUTE_ROW = re.compile(rf"^\|\s*({_METHOD}(?:\s*,\s*{_METHOD})*)\s*\|\s*`([^`]+)`\s*\|")
# The header of a table of events a client sends (server → client tables have "To").
EVENT_HEADER = re.compile(r"^\|\s*Event\s*\|\s*Who\s*\|\s*Payload\s*\|\s*Ack\s*\|")
NAMESPACE_HEADING = re.compile(r"^#+ .*?`(/[a-z_]+)`")


def normalise(rule: str) -> str:
    """A rule with its converters stripped: `/t/<int:thread_id>` is `/t/<thread_id>`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"<\1>", rule)


def served_routes(app) -> set[tuple[str, str]]:
    """(method, normalised rule) for every rule of the app but the static files."""
    return {(method, normalise(rule.rule))
            for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def handled_events() -> set[tuple[str, str]]:
    """(namespace, event) for every Socket.IO handler, decorated or class-based."""
    server = socketio.server
    events = {(namespace, event) for namespace, handlers in server.handlers.items()
              for event in handlers}
    for namespace, handler in getattr(server, "namespace_handlers", {}).items():
        events |= {(namespace, name[3:]) for name in dir(handler)
                   if name.startswith("on_") and callable(getattr(handler, name))}
    return events


def documented(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The routes of the doc's route tables and the events of its client → server tables."""
    routes: set[tuple[str, str]] = set()
    events: set[tuple[str, str]] = set()
    namespace = None
    in_events = False
    for line in text.splitlines():
        heading = NAMESPACE_HEADING.match(line)
        if line.startswith("#"):
            namespace = heading.group(1) if heading else None
            in_events = False
            continue
        if not line.startswith("|"):
            in_events = False
            continue
        if EVENT_HEADER.match(line):
            in_events = namespace is not None
            continue
        route = ROUTE_ROW.match(line)
        if route:
            for method in re.split(r"\s*,\s*", route.group(1)):
                routes.add((method, normalise(route.group(2))))
        elif in_events:
            first_cell = line.split("|")[1]
            events |= {(namespace, name) for name in re.findall(r"`([^`]+)`", first_cell)}
    return routes, events


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interfaces")
    app = create_app(_base_config(f"sqlite:///{folder / 'unused.sqlite3'}", ""))
    return served_routes(app), handled_events()


def test_normalise_strips_converters_only():
    assert normalise("/t/<int:thread_id>/reply") == "/t/<thread_id>/reply"
    assert normalise("/static/<path:filename>") == "/static/<filename>"
    assert normalise("/avatars/<token>.svg") == "/avatars/<token>.svg"


def test_the_parser_reads_route_and_event_rows():
    text = "\n".join([
        "## Things", "| Method | Path | Who |", "|---|---|---|",
        "| GET, POST | `/c/<slug>/new` | poster |", "| `KEY` | 1 | `/x` |", "",
        "### `/chat` client → server", "| Event | Who | Payload | Ack |", "|---|---|---|---|",
        "| `room_open`, `room_close` | facilitator | `room` | ok |", "",
        "### `/chat` server → client", "| Event | To | Payload |", "| `message` | room | m |",
    ])
    routes, events = documented(text)
    assert routes == {("GET", "/c/<slug>/new"), ("POST", "/c/<slug>/new")}
    assert events == {("/chat", "room_open"), ("/chat", "room_close")}


def test_every_route_is_documented_and_every_documented_route_exists(served):
    routes, _events = served
    written, _ = documented(DOC.read_text(encoding="utf-8"))
    missing = sorted(f"{m} {r}" for m, r in routes - written)
    stale = sorted(f"{m} {r}" for m, r in written - routes)
    assert not missing, "add to docs/interfaces.md: " + ", ".join(missing)
    assert not stale, "docs/interfaces.md names routes that no longer exist: " + ", ".join(stale)


def test_every_socketio_event_is_documented(served):
    _routes, events = served
    assert ("/chat", "send") in events and ("/mod", "connect") in events  # handlers were read
    _, written = documented(DOC.read_text(encoding="utf-8"))
    missing = sorted(f"{ns} {e}" for ns, e in events - written)
    stale = sorted(f"{ns} {e}" for ns, e in written - events)
    assert not missing, "add to docs/interfaces.md: " + ", ".join(missing)
    assert not stale, "docs/interfaces.md names events nobody handles: " + ", ".join(stale)
