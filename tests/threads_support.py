"""Helpers for the threads tests: a board, a scripted screener, and HTTP shortcuts."""

from __future__ import annotations

import re

import pytest

from forum.moderation.verdict import Reason, Verdict
from forum.services.threads import boards, posts
from tests.conftest import csrf_from, login

MARKER = re.compile(r"\[\[(allow|flag|hold|block)(?::([\w-]+))?\]\]")
RISK = {"crisis", "crisis-method", "overdose"}


def scripted_verdict(text: str) -> Verdict:
    """A verdict chosen by a marker such as [[hold:pii]] in the text; allow otherwise."""
    match = MARKER.search(text or "")
    if match is None:
        return Verdict(action="allow")
    action, category = match.group(1), match.group(2) or "spam"
    return Verdict(
        action=action,
        categories=(category,),
        priority="urgent" if category in RISK else "normal",
        reasons=(Reason("rule", f"test-{category}", category),),
        resources=("988-lifeline",) if category in RISK else (),
        message=f"Scripted {action} message for {category}.",
    )


@pytest.fixture
def screener(monkeypatch):
    """Replace the pipeline with scripted verdicts; records every (text, scope) screened."""
    from forum.services import screening

    calls: list[tuple[str, str]] = []

    def fake(text, *, scope, author=None, locale=None, context=None):
        calls.append((text, scope))
        return scripted_verdict(text)

    monkeypatch.setattr(screening, "screen_text", fake)
    return calls


@pytest.fixture
def board(make_user):
    """A board made by an admin through the service."""
    keeper = make_user("board-keeper", roles_=("admin",))
    return boards.check_save_board(
        None, slug="daily-check-ins", name="Daily check-ins",
        description="How are you today?", position=1, content_note=None, acting_user=keeper,
    )


def new_thread(board, user, title="A quiet morning", body="Made it through another day.",
               **kwargs):
    """Start a thread through the service."""
    kwargs.setdefault("anonymous", False)
    kwargs.setdefault("content_note", None)
    return posts.check_create_thread(board, title, body, acting_user=user, **kwargs)


def new_reply(thread, user, body="Glad you are here.", **kwargs):
    """Reply through the service."""
    kwargs.setdefault("anonymous", False)
    kwargs.setdefault("content_note", None)
    return posts.check_reply(thread, body, acting_user=user, **kwargs)


def client_for(app, user):
    """A test client logged in as this user."""
    client = app.test_client()
    login(client, user)
    return client


def post_thread(client, board, title, body, **extra):
    """Start a thread through the form."""
    token = csrf_from(client, f"/c/{board.slug}/new")
    data = {"title": title, "body": body, "csrf_token": token, **extra}
    return client.post(f"/c/{board.slug}/new", data=data)


def post_reply(client, thread_id, body, **extra):
    """Reply through the form."""
    token = csrf_from(client, f"/t/{thread_id}/reply")
    data = {"body": body, "csrf_token": token, **extra}
    return client.post(f"/t/{thread_id}/reply", data=data)


def thread_id_from(response) -> int:
    """The thread id a post-then-redirect response points at."""
    match = re.search(r"/t/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))
