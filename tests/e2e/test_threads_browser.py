"""Posting in a board as a member would, in Chromium: the crisis panel and the privacy nudge."""

from __future__ import annotations

import pytest

from tests.e2e.flows import log_in, start_thread

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

def test_crisis_post_shows_resources_and_reaches_no_other_reader_as_toxic(forum_url, new_page):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    start_thread(page, forum_url, "Rough night",
                 "I don't want to be alive anymore. I want to end it all tonight.")
    page.wait_for_url("**/t/*")
    panel = page.locator(".panel", has_text="You are not alone")
    assert panel.is_visible()
    assert "988" in panel.inner_text() and "116 123" in panel.inner_text()
    thread_url = page.url

    # A crisis disclosure is published for peers (and queued for a trained human), not hidden.
    reader = new_page()
    log_in(reader, forum_url, "morning-cedar")
    reader.goto(thread_url)
    assert "I want to end it all tonight" in reader.content()
    assert reader.locator(".panel", has_text="You are not alone").count() == 0


def test_phone_number_gets_a_nudge_with_the_text_kept(forum_url, new_page):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    start_thread(page, forum_url, "Call me", "text me at 555-201-3344 if you want to talk")
    nudge = page.get_by_role("alert")
    assert "Before you post" in nudge.inner_text()
    assert page.input_value("#body") == "text me at 555-201-3344 if you want to talk"
    assert page.get_by_role("button", name="Post anyway, for a moderator to review").is_visible()


def test_a_reader_opens_a_crisis_post_behind_its_note_on_a_phone(forum_url, new_page):
    writer = new_page()  # 390 x 844, a phone
    log_in(writer, forum_url, "steady-heron")
    start_thread(writer, forum_url, "Hard day", "Honestly I just want to die tonight.")
    writer.wait_for_url("**/t/*")
    thread_url = writer.url
    assert writer.get_by_text("Honestly I just want to die tonight.").is_visible()
    assert writer.locator("details.auto-note").count() == 0  # the writer reads it plainly

    reader = new_page()
    log_in(reader, forum_url, "morning-cedar")
    reader.goto(thread_url)
    note = reader.locator("details.auto-note summary")
    assert note.inner_text() == ("This post talks about suicidal thoughts or self-harm. "
                                 "Open when you are ready.")
    assert note.is_visible()
    text = reader.get_by_text("Honestly I just want to die tonight.")
    assert not text.is_visible()
    note.click()
    assert text.is_visible()
    box = note.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
