"""Markdown to safe HTML: CommonMark via markdown-it-py, then a strict bleach allowlist.

The only module that imports bleach. Bump RENDERER_VERSION when the output would change, so
cached HTML is rendered again.
"""

from __future__ import annotations

import threading
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup

RENDERER_VERSION = 1

POST_TAGS = frozenset(
    {"p", "br", "em", "strong", "del", "ul", "ol", "li", "blockquote", "code", "pre", "a", "hr"}
)
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4"})
ATTRIBUTES = {"a": ["href", "rel", "title"], "ol": ["start"]}
PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener ugc"

# Raw HTML in the source is shown as text, never parsed; images are not rendered at all
# because a remote image would leak readers' addresses to whoever hosts it.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def _set_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    attrs.pop((None, "target"), None)
    return attrs


def _cleaner(tags: frozenset[str]) -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=tags,
        attributes=ATTRIBUTES,
        protocols=PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
    )


# A bleach Cleaner keeps its HTML parser's state while it cleans, so one shared by the
# server's threads mixed two texts together (one member's message came out holding another's)
# or failed outright. Each thread builds its own, once.
_cleaners = threading.local()


def _thread_cleaner(headings: bool) -> bleach.Cleaner:
    name = "page" if headings else "post"
    cleaner = getattr(_cleaners, name, None)
    if cleaner is None:
        cleaner = _cleaner(POST_TAGS | HEADING_TAGS if headings else POST_TAGS)
        setattr(_cleaners, name, cleaner)
    return cleaner


def render_markdown(text: str, *, headings: bool = False) -> Markup:
    """Render member-written Markdown to sanitized HTML, safe to place in a page."""
    html = _md.render(text or "")
    return Markup(_thread_cleaner(headings).clean(html))


def render_page(text: str) -> Markup:
    """Render staff-edited Markdown (guidelines) with headings allowed."""
    return render_markdown(text, headings=True)

