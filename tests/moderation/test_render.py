"""Markdown rendering: sanitized, and correct when the server's threads render at once."""

from __future__ import annotations

import sys
import threading

import pytest

from forum.moderation.render import render_markdown, render_page


def test_markdown_is_rendered_and_sanitized():
    html = str(render_markdown("**day 30** <script>alert(1)</script> [x](javascript:alert(1))"))
    assert "<strong>day 30</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert "href" not in html  # a javascript: link is not made a link
    assert "<h1>" not in str(render_markdown("# Title"))
    assert "<h1>Title</h1>" in str(render_page("# Title"))


@pytest.fixture
def eager_switching():
    """Switch threads as often as the interpreter can, to make interleavings likely."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_threads_rendering_at_once_each_get_their_own_text(eager_switching):
    texts = [f"Member {i} says **hello** to [a link](https://example.org/{i}) and `code {i}`"
             f"\n\n> quoted {i}\n\n# heading {i}" for i in range(40)]
    expected = {t: (str(render_markdown(t)), str(render_page(t))) for t in texts}
    wrong, failed = [], []

    def work(k: int) -> None:
        try:
            for r in range(120):
                text = texts[(k * 7 + r) % len(texts)]
                got = (str(render_markdown(text)), str(render_page(text)))
                if got != expected[text]:
                    wrong.append(text)
        except Exception as exc:  # a shared parser fails outright too
            failed.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and wrong == []
