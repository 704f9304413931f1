"""Generated avatars: a keyed token per account and current pseudonym, one neutral image for
anonymous authors, and an SVG drawn from the token alone."""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from forum import create_app
from forum.services.accounts import account as accounts, avatars
from tests.conftest import PASSWORD

SVG_NS = "{http://www.w3.org/2000/svg}"


def test_the_same_account_and_pseudonym_give_the_same_token(app, member):
    first = avatars.token_for(member.id, member.pseudonym)
    assert first == avatars.token_for(member.id, member.pseudonym)
    assert avatars.TOKEN.fullmatch(first)


def test_a_new_pseudonym_gives_a_new_token(app, member):
    before = avatars.token_for(member.id, member.pseudonym)
    accounts.check_change_pseudonym(member, "brave-otter-31", PASSWORD)
    after = avatars.token_for(member.id, member.pseudonym)
    assert member.pseudonym == "brave-otter-31"
    assert after != before
    assert avatars.svg(after) != avatars.svg(before)


def test_the_token_hides_the_account_id_and_needs_the_secret(app_config, app, member):
    token = avatars.token_for(member.id, member.pseudonym)
    # Another account under the same name (after a rename, say) looks unrelated.
    assert avatars.token_for(member.id + 1, member.pseudonym) != token
    raw = base64.urlsafe_b64decode(token + "==")
    # Neighbouring ids give unrelated tokens: no shared prefix that would count accounts.
    tokens = [avatars.token_for(user_id, member.pseudonym) for user_id in range(1, 65)]
    assert len(set(tokens)) == 64
    assert all(a[:4] != b[:4] for a, b in zip(tokens, tokens[1:], strict=False))
    # Not an unkeyed hash anyone could compute from what a page shows.
    for guess in (f"{member.id}:{member.pseudonym}", member.pseudonym, str(member.id)):
        assert hashlib.sha256(guess.encode()).digest()[:16] != raw
    other = create_app(dict(app_config, SECRET_KEY="another-secret-key-0123456789abcdef"))
    with other.app_context():
        assert avatars.token_for(member.id, member.pseudonym) != token


@pytest.mark.parametrize("post", [
    SimpleNamespace(anonymous=True, author_id=7, author_pseudonym="steady-heron"),
    SimpleNamespace(anonymous=False, author_id=None, author_pseudonym=None),  # deleted account
    SimpleNamespace(anonymous=True, author_id=7, author=SimpleNamespace(pseudonym="steady-heron")),
])
def test_anonymous_and_deleted_authors_get_the_one_neutral_image(app, post):
    assert avatars.post_token(post) == avatars.NEUTRAL
    assert avatars.path(avatars.post_token(post)) == "/avatars/anonymous.svg"


def test_a_named_post_gets_its_authors_token(app, member):
    row = SimpleNamespace(anonymous=False, author_id=member.id, author_pseudonym=member.pseudonym)
    orm = SimpleNamespace(anonymous=False, author_id=member.id, author=member)
    expected = avatars.token_for(member.id, member.pseudonym)
    assert avatars.post_token(row) == avatars.post_token(orm) == expected


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    return root


def test_the_image_is_drawn_from_the_token_alone(app, member):
    token = avatars.token_for(member.id, member.pseudonym)
    image = avatars.svg(token)
    assert image == avatars.svg(token)
    root = _parse(image)
    tags = {el.tag.removeprefix(SVG_NS) for el in root.iter()}
    assert tags == {"svg", "rect", "path"}
    # Nothing that loads, runs or links: only shapes and colours.
    assert not re.search(r"script|href|url\(|on\w+=|style|<image|foreignObject", image, re.I)
    assert len(image.encode()) < 1200
    # Any well-formed token is a pattern too: the route is no oracle of who exists.
    assert _parse(avatars.svg("A" * 22)) is not None
    assert avatars.svg("A" * 22) != image


def test_the_neutral_image_is_one_constant(app):
    assert avatars.svg(avatars.NEUTRAL) == avatars.NEUTRAL_SVG
    tags = {el.tag.removeprefix(SVG_NS) for el in _parse(avatars.NEUTRAL_SVG).iter()}
    assert tags <= {"svg", "rect", "circle", "path"}


@pytest.mark.parametrize("token", ["", "short", "A" * 21, "A" * 23, "A" * 21 + "=",
                                   "../../etc/passwd", "A" * 21 + "\x00", "<svg onload=x>"])
def test_malformed_tokens_have_no_image(app, token):
    assert avatars.svg(token) is None
