"""The check-in pages: opt in, answer, see one's own trend privately, withdraw; refused answers
come back with what was chosen."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import CheckinAnswer
from tests.conftest import PASSWORD, csrf_from, login, page_text
from tests.services.measures.test_checkins import answers


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _post(client, path, data=None):
    token = csrf_from(client, "/account/checkin")
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_the_page_explains_what_is_stored_before_anything_is(app, member):
    page = page_text(_client(app, member).get("/account/checkin"))
    assert "stored apart from your account" in page
    assert "withdrawing erases all your answers" in page
    assert "Vilsaint" in page and "Drug and Alcohol Dependence, 177, 71-76" in page
    assert "Opt in to the check-in" in page
    assert 'name="barc_1"' not in page  # no questions before opting in


def test_opt_in_answer_and_see_ones_own_trend(app, member, second_member):
    client = _client(app, member)
    assert _post(client, "/account/checkin/opt-in").status_code == 302
    page = page_text(client.get("/account/checkin"))
    assert "How connected do you feel to this community?" in page
    assert page.count('type="radio"') == 5 + 10 * 6
    for legend in re.findall(r"<legend>([^<]+)</legend>", page)[1:]:
        assert re.match(r"\d+\. ", legend)
    assert "I am making good progress on my recovery journey." in page
    assert "Strongly disagree" in page and "Somewhat agree" in page
    response = _post(client, "/account/checkin", answers(4, 5))
    assert response.status_code == 302
    page = page_text(client.get("/account/checkin"))
    assert "The next check-in opens on" in page and 'name="barc_1"' not in page
    assert "<td>4</td><td>50</td>" in page
    # The trend is the member's own: another member sees none of it.
    other = _client(app, second_member)
    _post(other, "/account/checkin/opt-in")
    assert "<td>4</td><td>50</td>" not in page_text(other.get("/account/checkin"))


def test_a_refused_check_in_keeps_the_chosen_answers(app, member):
    client = _client(app, member)
    _post(client, "/account/checkin/opt-in")
    data = answers(2, 3)
    del data["barc_7"]
    response = _post(client, "/account/checkin", data)
    page = page_text(response)
    assert response.status_code == 400
    assert 'role="alert"' in page and "Please choose an answer for statement 7." in page
    assert "statement 6." not in page
    assert 'id="barc_7-error"' in page and 'aria-describedby="barc_7-error"' in page
    assert re.search(r'id="connected-2" name="connected" value="2" checked', page)
    assert re.search(r'id="barc_6-3" name="barc_6" value="3" checked', page)
    assert db.session.scalar(select(func.count()).select_from(CheckinAnswer)) == 0


def test_withdrawing_from_the_page_erases_the_answers(app, member):
    client = _client(app, member)
    _post(client, "/account/checkin/opt-in")
    _post(client, "/account/checkin", answers())
    response = _post(client, "/account/checkin/withdraw")
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "You withdrew. 1 answer was erased." in page
    assert "Opt in to the check-in" in page
    assert db.session.scalar(select(func.count()).select_from(CheckinAnswer)) == 0


def test_the_account_page_links_the_check_in_and_admins_the_dashboard(app, member, admin):
    assert "/account/checkin" in page_text(_client(app, member).get("/account"))
    assert "/admin/measures" not in page_text(_client(app, member).get("/account"))
    assert "/admin/measures" in page_text(_client(app, admin).get("/account"))


def test_check_in_and_measures_pages_have_no_inline_script_or_style(app, member, admin):
    client = _client(app, member)
    _post(client, "/account/checkin/opt-in")
    pages = [page_text(client.get("/account/checkin")),
             page_text(client.get("/community/measures")),
             page_text(_client(app, admin).get("/admin/measures"))]
    for page in pages:
        assert "<script>" not in page and "style=" not in page and "onclick=" not in page
        assert 'src="http' not in page and 'href="http' not in page


def test_the_data_download_holds_ones_answers_and_deletion_erases_them(app, member):
    import json

    client = _client(app, member)
    _post(client, "/account/checkin/opt-in")
    _post(client, "/account/checkin", answers(5, 2))
    data = json.loads(page_text(client.get("/account/export")))
    assert [(a["connected"], a["barc_10_total"]) for a in data["checkins"]] == [(5, 20)]
    token = csrf_from(client, "/account")
    response = client.post("/account/delete", data={
        "password": PASSWORD, "posts": "delete", "confirm": "y", "csrf_token": token})
    assert response.status_code in (200, 302)
    assert db.session.scalar(select(func.count()).select_from(CheckinAnswer)) == 0


def test_every_field_on_the_check_in_and_dashboard_has_a_label(app, member, admin):
    client = _client(app, member)
    _post(client, "/account/checkin/opt-in")
    pages = [page_text(client.get("/account/checkin")),
             page_text(_client(app, admin).get("/admin/measures"))]
    for page in pages:
        inputs = [t for t in re.findall(r"<input[^>]*>", page) if 'type="hidden"' not in t]
        assert inputs
        for tag in inputs:
            field_id = re.search(r'id="([^"]+)"', tag).group(1)
            assert f'for="{field_id}"' in page, tag
    # Each radio group is a fieldset named by its legend: 1 + 10 groups.
    assert pages[0].count("<legend>") == 11 and pages[0].count("<fieldset") == 11
