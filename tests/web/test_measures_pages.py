"""The measures pages, CSV, JSON and the CLI: who may see them, and that a figure over fewer
than 10 people never appears in any of them (communities of 9 and of 10)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.conftest import PERSONAS, login, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.measures import community

board = threads_support.board
WEEK = {"from": "2026-11-02", "to": "2026-11-08"}
ADMIN_PATHS = ("/admin/measures", "/admin/measures.csv", "/admin/measures.json")


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_and_exports_are_for_admins_only(app, request, persona):
    client = _client(app, request.getfixturevalue(persona))
    for path in ADMIN_PATHS:
        assert client.get(path).status_code == (200 if persona == "admin" else 404), path
    assert client.get("/community/measures").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ADMIN_PATHS + ("/community/measures", "/account/checkin"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _active(rows: list[dict]) -> dict:
    return {r["week"]: (r["value"], r["people"]) for r in rows if r["figure"] == "active_members"}


def _section(page: str, key: str) -> str:
    start = page.index(f'id="fig-{key}"')
    return page[start:page.index("</section>", start)]


def _outputs(app, runner, admin, member):
    """Every path a figure can leave by: both pages, CSV, JSON and the CLI in both formats."""
    admin_client, member_client = _client(app, admin), _client(app, member)
    cli_csv = runner.invoke(args=["report", "--from", WEEK["from"], "--to", WEEK["to"]])
    cli_json = runner.invoke(args=["report", "--from", WEEK["from"], "--to", WEEK["to"],
                                   "--format", "json"])
    assert cli_csv.exit_code == 0 and cli_json.exit_code == 0, cli_csv.output + cli_json.output
    return {
        "dashboard": page_text(admin_client.get("/admin/measures", query_string=WEEK)),
        "shared": page_text(member_client.get("/community/measures", query_string=WEEK)),
        "csv": admin_client.get("/admin/measures.csv", query_string=WEEK).get_data(as_text=True),
        "json": admin_client.get("/admin/measures.json", query_string=WEEK).get_data(
            as_text=True),
        "cli_csv": cli_csv.output,
        "cli_json": cli_json.output,
    }


def _json_values(text: str):
    data = json.loads(text)
    assert data["small_group_minimum"] == 10
    for fig in data["figures"]:
        for s in fig["series"]:
            yield fig["key"], "total", s["total"]
            for w in s["weeks"]:
                yield fig["key"], w["week"], w


def test_a_community_of_nine_shows_fewer_than_10_everywhere(app, runner, make_user, board,
                                                            admin):
    members = community(make_user, board, 9)
    out = _outputs(app, runner, admin, members[0])
    for name in ("csv", "cli_csv"):
        rows = _csv_rows(out[name])
        assert rows and {r["value"] for r in rows} == {"fewer than 10"}, name
        assert {r["people"] for r in rows} == {"fewer than 10"}, name
    for name in ("json", "cli_json"):
        values = list(_json_values(out[name]))
        assert values and all(v["value"] == "fewer than 10" and v["people"] == "fewer than 10"
                              for _k, _w, v in values), name
    for name in ("dashboard", "shared"):
        page = out[name]
        assert "fewer than 10" in _section(page, "active_members")
        for key in ("active_members", "threads_by_board", "first_reply_share"):
            section = _section(page, key)
            # No number is shown anywhere in a figure: only dates and the rule's wording.
            cells = re.findall(r"<(?:td|strong)>([^<]*)</(?:td|strong)>", section)
            assert cells and all(re.fullmatch(r"\d{4}-\d\d-\d\d|fewer than 10", c)
                                 for c in cells), (name, key, cells)
            assert "<svg" not in section and "people: 9" not in section


def test_a_community_of_ten_shows_the_figures(app, runner, make_user, board, admin):
    members = community(make_user, board, 10)
    out = _outputs(app, runner, admin, members[0])
    for name in ("csv", "cli_csv"):
        assert _active(_csv_rows(out[name])) == {"2026-11-02": ("10", "10"),
                                                 "total": ("10", "10")}, name
        threads = [r for r in _csv_rows(out[name])
                   if r["figure"] == "threads_by_board" and r["week"] == "total"]
        assert [(r["series"], r["value"]) for r in threads] == [("Daily check-ins", "10")]
    for name in ("json", "cli_json"):
        active = [v for k, _w, v in _json_values(out[name]) if k == "active_members"]
        assert active == [{"value": 10, "people": 10}, {"week": "2026-11-02", "value": 10,
                                                         "people": 10}], name
    for name in ("dashboard", "shared"):
        section = _section(out[name], "active_members")
        assert "<strong>10</strong>" in section and "people: 10" in section
        assert "<svg" in section and "<title" in section  # a chart with a text alternative
        assert "<td>2026-11-02</td><td>10</td><td>10</td>" in section
        assert "the tallest is 10." in section
        # The week's replies: nobody replied, so that figure is still withheld.
        assert "fewer than 10" in _section(out[name], "replies_by_board")


def test_the_shared_page_shows_aggregates_and_nothing_about_anyone(app, make_user, board):
    members = community(make_user, board, 10)
    page = page_text(_client(app, members[0]).get("/community/measures", query_string=WEEK))
    assert "we do not record logins or page views" in page
    for other in members[1:]:
        assert other.pseudonym not in page
    assert "Thread number" not in page and "Another day." not in page
    assert "Vilsaint" in page  # the instrument is cited


def test_bad_dates_get_a_clear_error_and_keep_what_was_typed(app, admin):
    client = _client(app, admin)
    response = client.get("/admin/measures", query_string={"from": "2026-11-20",
                                                           "to": "2026-11-01"})
    page = page_text(response)
    assert response.status_code == 400
    assert "The end date must not be before the start." in page
    assert 'value="2026-11-20"' in page and 'value="2026-11-01"' in page
    response = client.get("/admin/measures.csv", query_string={"from": "soon", "to": ""})
    assert response.status_code == 400 and "Use a date like" in response.get_data(as_text=True)


def test_bad_dates_do_not_reveal_the_dashboard_to_members(app, member):
    client = _client(app, member)
    assert client.get("/admin/measures", query_string={"from": "x"}).status_code == 404
    assert client.get("/admin/measures.csv", query_string={"from": "x"}).status_code == 404


def test_csv_is_a_download_with_the_period_in_its_name(app, admin):
    response = _client(app, admin).get("/admin/measures.csv", query_string=WEEK)
    assert response.mimetype == "text/csv"
    assert ('filename="community-measures-2026-11-02-2026-11-08.csv"'
            in response.headers["Content-Disposition"])
    header = response.get_data(as_text=True).splitlines()[0]
    assert header == "figure,label,series,week,value,people,unit"


def test_report_command_refuses_bad_dates(runner, app):
    result = runner.invoke(args=["report", "--from", "2026-11-10", "--to", "2026-11-01"])
    assert result.exit_code == 1
    assert "The end date must not be before the start." in result.output
