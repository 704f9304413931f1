"""Random and oversized values to every POST form: never a 500, nothing written when refused.

The forms are the CSRF list of tests/web/test_security.py, which a test there keeps complete
against app.url_map, so a new POST route is fuzzed here as soon as it has its CSRF case. Each
example sends a valid CSRF token (so the form itself is reached) and some of the form's own
fields, maybe unknown ones, with hostile values (tests/fixtures/fuzz.py). Rate limits are off
here: a refusal must come from validation, not from the limiter.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from sqlalchemy import select

from forum.models import Post
from forum.services.measures import checkins
from forum.services.meetings import schedule as meetings
from forum.services.review import duty
from forum.services.support import requests as support
from forum.services.threads import boards, reports
from tests.conftest import csrf_from, login
from tests.fixtures.fuzz import EXAMPLES, form_data, row_counts
from tests.fixtures.meetings import meeting_data, running_meeting_data
from tests.fixtures.threads import client_for, new_reply, new_thread
from tests.web.test_security import STATE_CHANGING

ANONYMOUS = {"/signup", "/login", "/recover"}
# The reply is someone else's post: one may not react to or report one's own.
OTHERS_POST = {"/p/1/react": "/p/2/react", "/p/1/report": "/p/2/report"}
EXTRA_FIELDS = ["anonymous", "content_warning", "confirm_hold", "quote_of", "days", "note",
                "kind", "version", "page", "next", "locale", "posts", "on", "outcome"]
# Forms whose CSRF case names only some of their fields: the rest are fuzzed too.
ALL_FIELDS = {
    "/meetings/new": sorted(meeting_data()),
    "/meetings/1/edit": sorted(meeting_data()),
    "/account/checkin": ["connected", *(f"barc_{i}" for i in range(1, 11))],
}
ROUTES = [(OTHERS_POST.get(path, path), sorted(set(data) | set(ALL_FIELDS.get(path, ()))))
          for path, data in STATE_CHANGING]


@pytest.fixture
def app_config(app_config):
    """The test app without rate limits."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


@pytest.fixture
def keeper(app, make_user, member, second_member):
    """An admin who is also a trained moderator and supervisor, with a thread, a reply by
    someone else and a review item, a meeting of theirs whose session is open, a member's
    support request while they are on duty, and the check-in opted in: every form has
    something to act on."""
    keeper = make_user("keeper-jo", roles_=("admin", "moderator", "supervisor"),
                       training=("crisis-response",))
    board = boards.check_save_board(None, slug="daily-check-ins", name="Daily check-ins",
                                    description="", position=1, content_note=None,
                                    acting_user=keeper)
    thread = new_thread(board, keeper).post.thread
    reply = new_reply(thread, second_member).post
    reports.check_report(reply.id, "This looks like spam to me", acting_user=member)
    assert meetings.check_schedule(running_meeting_data(), acting_user=keeper).id == 1
    duty.check_set_duty(True, acting_user=keeper)
    assert support.check_open("A hard evening.", acting_user=second_member).request.id == 1
    checkins.do_opt_in(acting_user=keeper)
    return keeper


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    mine = {case: n for case, n in EXAMPLES.items() if " " not in case}  # paths, not events
    print(f"\n[fuzz] forms: cases={len(mine)} examples={sum(mine.values())}")


def test_every_post_route_is_fuzzed(app):
    adapter = app.url_map.bind("localhost")
    fuzzed = {adapter.match(path, method="POST", return_rule=True)[0].rule for path, _ in ROUTES}
    posts = {rule.rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and not rule.rule.startswith("/static")}
    assert posts <= fuzzed, f"add fuzz cases for {sorted(posts - fuzzed)}"


@pytest.mark.parametrize(("path", "fields"), ROUTES, ids=[p for p, _ in ROUTES])
def test_form_answers_hostile_input_with_a_page_not_an_error(app, keeper, path, fields):
    client = app.test_client()

    def sign_in() -> str:
        if path not in ANONYMOUS:
            login(client, keeper)
        return csrf_from(client, "/login" if path in ANONYMOUS else "/account")

    token = sign_in()

    @given(form_data(fields, EXTRA_FIELDS))
    def send(data):
        nonlocal token
        EXAMPLES[path] += 1
        before = row_counts()
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code < 500, (path, data, response.get_data(as_text=True)[:500])
        if response.status_code >= 400:
            after = row_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert not changed, f"{path} refused {data!r} but wrote {changed}"
        if path == "/logout" and response.status_code < 400:
            token = sign_in()

    send()


# A lone surrogate written the only ways an HTTP body can try: as UTF-8-style bytes, raw or
# percent-escaped. Socket.IO's JSON can carry one (tests/realtime); a form never does.
SURROGATE_BYTES = "\ud800".encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("encoding", ["percent", "raw", "multipart"])
def test_a_form_never_receives_a_lone_surrogate(app, db, keeper, encoding):
    client = client_for(app, keeper)
    token = csrf_from(client, "/t/1/reply")
    body = b"Hello " + SURROGATE_BYTES
    if encoding == "multipart":
        boundary = "x-boundary"
        raw = b"".join(
            b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
            % (boundary.encode(), name, value)
            for name, value in ((b"csrf_token", token.encode()), (b"body", body)))
        raw += b"--%s--\r\n" % boundary.encode()
        kind = f"multipart/form-data; boundary={boundary}"
    else:
        if encoding == "percent":
            body = b"Hello " + b"".join(b"%%%02X" % byte for byte in SURROGATE_BYTES)
        raw = b"csrf_token=" + token.encode() + b"&body=" + body
        kind = "application/x-www-form-urlencoded"
    response = client.post("/t/1/reply", data=raw, content_type=kind)
    assert response.status_code < 500
    for text in db.session.scalars(select(Post.body_md)):
        assert not any("\ud800" <= c <= "\udfff" for c in text)
