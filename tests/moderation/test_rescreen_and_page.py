"""Rescreening what the classifier missed, and the /crisis page."""

from __future__ import annotations

from forum.moderation import rescreen

STORE: dict[int, str] = {}
APPLIED: dict[int, object] = {}


def _register():
    STORE.clear()
    APPLIED.clear()
    rescreen.register_source("test-note", STORE.get, APPLIED.__setitem__)


def test_remember_and_rescreen(app, db, runner):
    from forum.models.screening import PendingRescreen

    _register()
    STORE.update({1: "I relapsed last night", 2: "hello there"})
    rescreen.remember("test-note", 1, "post")
    rescreen.remember("test-note", 1, "post")  # queued once
    rescreen.remember("test-note", 2, "chat")
    rescreen.remember("test-note", 3, "post")  # erased before the rescreen
    rescreen.remember("unknown-kind", 9, "post")
    db.session.commit()
    assert db.session.query(PendingRescreen).count() == 4
    result = runner.invoke(args=["rescreen"])
    assert result.exit_code == 0, result.output
    assert "rescreened=2" in result.output and "missing=1" in result.output
    assert "unknown_kind=1" in result.output
    assert APPLIED[1].categories == ("relapse",) and APPLIED[2].action == "allow"
    assert db.session.query(PendingRescreen).count() == 1


def test_rescreen_stops_while_the_classifier_is_down(app, db, fake_classifier):
    from forum.models.screening import PendingRescreen

    _register()
    STORE.update({1: "one", 2: "two"})
    pipeline = app.extensions["moderation"]
    original = pipeline.classifier
    pipeline.classifier = fake_classifier(fail=True)
    try:
        rescreen.remember("test-note", 1, "post")
        rescreen.remember("test-note", 2, "post")
        db.session.commit()
        counts = rescreen.run_rescreen()
    finally:
        pipeline.classifier = original
    assert counts["still_unavailable"] == 2 and counts["rescreened"] == 0
    rows = db.session.query(PendingRescreen).order_by(PendingRescreen.id).all()
    assert [row.attempts for row in rows] == [1, 0]


def test_crisis_page_lists_resources(client):
    response = client.get("/crisis")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in ("988", "741741", "1-800-662-4357", "1-800-484-3731", "911", "116 123",
                     "999", "findahelpline.com", "findtreatment.gov", 'href="tel:988"'):
        assert expected in page, expected
    assert "<title>Get help now" in page


def test_crisis_page_puts_the_chosen_country_first(client):
    page = client.get("/crisis?country=GB").get_data(as_text=True)
    assert page.index("Samaritans") < page.index("988 Suicide")


def test_crisis_page_puts_the_readers_country_first(client):
    def first_country(**kwargs) -> int:
        page = client.get("/crisis", **kwargs).get_data(as_text=True)
        return page.index("United Kingdom") < page.index("United States")

    assert first_country(headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert not first_country(headers={"Accept-Language": "en-US,en;q=0.8"})
    assert not first_country()  # no hint: the United States first
    assert first_country(query_string={"country": "gb"})


def test_the_scheduler_rescreens_what_the_classifier_missed(app, db):
    from datetime import UTC, datetime

    from forum.models.screening import PendingRescreen
    from forum.services import jobs

    _register()
    STORE.update({7: "I relapsed last night"})
    rescreen.remember("test-note", 7, "post")
    db.session.commit()
    done = jobs.run_due(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), force=True)
    assert done["moderation.rescreen"] == 1
    assert APPLIED[7].categories == ("relapse",)
    assert db.session.query(PendingRescreen).count() == 0
