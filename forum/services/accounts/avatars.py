"""Generated avatars: a small symmetric pattern per pseudonym, never an upload.

An avatar is named by a token, a keyed hash (HMAC with a key derived from SECRET_KEY) of the
account id and its current pseudonym: outsiders cannot compute it, it does not reveal the id,
and it changes with the pseudonym, so an old and a new name cannot be linked by their picture.
The image is a pure function of the token, so serving one needs no lookup: an unknown token is
just another pattern, and the route tells nobody whether a token belongs to anyone.

Whoever shows as Anonymous member (anonymous posts and rooms, deleted accounts) gets one
neutral image, the same for everyone, never their own.
"""

from __future__ import annotations

import base64
import binascii
import colorsys
import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

from flask import current_app

from ...extensions import db
from ...models import ChatMessage, Room, User

# Bump when the drawing changes: it is part of the ETag, and the URL of the neutral image.
VERSION = 1
NEUTRAL = "anonymous"
TOKEN_BYTES = 16
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
PATH = "/avatars/{}.svg"

_SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7">'
NEUTRAL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7">'
    '<rect width="7" height="7" rx="1.2" fill="#e3e6e9"/>'
    '<circle cx="3.5" cy="2.7" r="1.25" fill="#67717a"/>'
    '<path fill="#67717a" d="M1.3 6.1c0-1.5 1-2.4 2.2-2.4s2.2.9 2.2 2.4z"/></svg>'
)


@lru_cache(maxsize=4)
def _derive(secret: str) -> bytes:
    # A key of its own: a token never doubles as any other keyed hash made from SECRET_KEY.
    return hmac.new(secret.encode(), b"forum avatar key v1", hashlib.sha256).digest()


def token_for(user_id: int, pseudonym: str) -> str:
    """The avatar token of an account under its current pseudonym."""
    key = _derive(current_app.config["SECRET_KEY"])
    digest = hmac.new(key, f"{user_id}:{pseudonym}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def author_token(author_id: int | None, pseudonym: str | None, *, anonymous: bool) -> str:
    """The token shown beside a piece of writing: the neutral one whenever no name is shown."""
    if anonymous or author_id is None or pseudonym is None:
        return NEUTRAL
    return token_for(author_id, pseudonym)


def post_token(post: Any) -> str:
    """For a Post, or a thread page row carrying author_pseudonym."""
    if post.anonymous or post.author_id is None:
        return NEUTRAL
    pseudonym = getattr(post, "author_pseudonym", None)
    if pseudonym is None and hasattr(post, "author"):
        pseudonym = post.author.pseudonym if post.author is not None else None
    return author_token(post.author_id, pseudonym, anonymous=False)


def chat_token(message: ChatMessage, room: Room) -> str:
    """For a chat message: neutral in an anonymous room and for a deleted account, as its name."""
    if room.anonymous or message.author_id is None:
        return NEUTRAL
    # Usually already in the session: the payload's author name has just read it.
    author = db.session.get(User, message.author_id)
    return author_token(message.author_id, author.pseudonym if author else None,
                        anonymous=False)


def path(token: str) -> str:
    """The image's URL path (the avatars route), the same in pages and chat payloads."""
    return PATH.format(token)


def _bytes_of(token: str) -> bytes | None:
    if not TOKEN.fullmatch(token):
        return None
    try:
        return base64.urlsafe_b64decode(token + "==")
    except (binascii.Error, ValueError):
        return None


def _hex(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def svg(token: str) -> str | None:
    """The image for a token; None when the token is not one's shape."""
    if token == NEUTRAL:
        return NEUTRAL_SVG
    raw = _bytes_of(token)
    if raw is None:
        return None
    hue = int.from_bytes(raw[0:2], "big") / 65536
    # Dark cells on a light tint of the same hue: readable on the light page, never garish.
    ink = _hex(hue, 0.30 + raw[2] % 8 / 100, 0.45 + raw[3] % 25 / 100)
    paper = _hex(hue, 0.91, 0.45)
    # A 5 x 5 grid mirrored left to right: 15 cells chosen by 15 bits. Each row's runs of
    # cells are drawn as one stroke a cell wide ("M1 2.5h3"), which keeps the file small.
    bits = int.from_bytes(raw[4:6], "big") & 0x7FFF
    if bin(bits).count("1") < 4:
        bits ^= 0x7FFF  # a nearly empty pattern reads as broken
    runs = []
    for row in range(5):
        half = [bits >> (row * 3 + column) & 1 for column in range(3)]
        cells = half + half[1::-1]
        column = 0
        while column < 5:
            if cells[column]:
                length = 1
                while column + length < 5 and cells[column + length]:
                    length += 1
                runs.append(f"M{column + 1} {row + 1}.5h{length}")
                column += length
            else:
                column += 1
    path_data = "".join(runs)
    return (f'{_SVG_OPEN}<rect width="7" height="7" rx="1.2" fill="{paper}"/>'
            f'<path stroke="{ink}" shape-rendering="crispEdges" d="{path_data}"/></svg>')
