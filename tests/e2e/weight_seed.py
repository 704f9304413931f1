"""A full thread page for the page-weight test: more replies than one page holds, reactions.

`python -m tests.e2e.weight_seed` (with the live server's FORUM_* environment) writes the thread
through the same screened services members use and prints its id.
"""

from __future__ import annotations

from sqlalchemy import select

from forum import create_app
from forum.extensions import db
from forum.models import Board
from forum.services.accounts import account as accounts
from forum.services.threads import posts, reactions, reading as threads
from forum.services.threads.reactions import KINDS
from forum.services.threads.reading import POSTS_PER_PAGE

TITLE = "What got you through the first month?"
# Replies about as long as members write them on a phone: a few sentences each.
REPLIES = [
    "Honestly it was the mornings. I made a rule that I would get up, make tea and read one"
    " post here before looking at anything else. Some days that was the whole plan, and it"
    " was enough to get to lunch. Then I would do the same thing again in the afternoon.",
    "Meetings every day for the first thirty days, even the ones I did not like. I sat at the"
    " back and said nothing for a week. Nobody minded. By the third week I knew a few names"
    " and people asked where I had been when I missed one, which mattered more than I expected.",
    "Writing down what I spent each day. Seeing the money come back made it real in a way that"
    " counting days did not. I bought myself a decent pair of boots at the end of the month.",
    "Being honest with one person. Just one. My sister knew everything, including the bad nights,"
    " and I could text her at 2 am without explaining. If you have nobody like that yet, this"
    " place can be that for a while.",
]


def main() -> None:
    app = create_app()
    with app.app_context():
        board = db.session.scalar(select(Board).where(Board.slug == "ask-the-community"))
        names = ["steady-heron", "morning-cedar", "sam-lantern", "rowan-pine"]
        people = [accounts.find_by_pseudonym(name) for name in names]
        opening = posts.check_create_thread(
            board, TITLE, "I'm at day nine. What helped you in the first few weeks?",
            anonymous=False, content_note=None, acting_user=people[0], confirm_hold=True)
        thread = threads.access_thread(opening.post.thread_id, people[0])
        kinds = sorted(KINDS)
        for number in range(POSTS_PER_PAGE + 5):
            author = people[1 + number % 3]
            reply = posts.check_reply(
                thread, REPLIES[number % len(REPLIES)], anonymous=number % 7 == 3,
                content_note=None, acting_user=author, confirm_hold=True)
            for reader in people[:2]:
                if reader.id != author.id:
                    reactions.check_toggle(reply.post.id, kinds[number % len(kinds)],
                                           acting_user=reader)
        print(thread.id)


if __name__ == "__main__":
    main()
