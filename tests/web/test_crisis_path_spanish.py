"""Spanish where it matters most: every text on the crisis path exists in Spanish (the rules'
supportive messages, the caring-message templates, the guidelines a member agrees to at sign-up),
and a Spanish-speaking member is answered in Spanish."""

from __future__ import annotations

from pathlib import Path

import flask_babel
import pytest
import yaml
from sqlalchemy import select

from forum.models import GuidelinesVersion, User
from forum.services import screening
from forum.services.accounts import guidelines
from forum.services.review import inbox as mod_inbox
from tests.conftest import csrf_from, login, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.review import post_item

board = threads_support.board
screener = threads_support.screener

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "moderation_rules"
TEMPLATES = RULES / "templates"
SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
LANGUAGES = ("es",)
# The categories whose writer is answered with support: the crisis path.
RISK_CATEGORIES = {"crisis", "crisis-method", "overdose", "relapse"}


def _rules():
    for path in sorted((RULES / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            yield path.name, rule


def _messages():
    rules = [(name, rule) for name, rule in _rules() if rule.get("message")]
    labels = yaml.safe_load((RULES / "classifier.yml").read_text(encoding="utf-8"))["labels"]
    return rules + [("classifier.yml", {"id": label, **policy})
                    for label, policy in labels.items() if policy.get("message")]


def test_the_rule_files_have_supportive_messages_to_check():
    risk = [rule for _name, rule in _messages() if rule["category"] in RISK_CATEGORIES]
    assert len(risk) >= 5
    assert any(name == "classifier.yml" for name, _rule in _messages())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_a_writer_may_see_exists_in_each_language(language):
    """Every rule message is shown to the writer; in the crisis path it is the first answer."""
    missing = [f"{name}: {rule['id']}" for name, rule in _messages()
               if not isinstance(rule["message"], dict)
               or not str(rule["message"].get(language) or "").strip()]
    assert not missing, f"messages without {language}: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_caring_template_exists_in_each_language(language):
    english = sorted(p.name for p in TEMPLATES.glob("*.md"))
    assert english
    translated = TEMPLATES / language
    missing = [name for name in english if not (translated / name).is_file()]
    assert not missing, f"caring templates without {language}: {missing}"
    for name in english:
        title, _sep, body = (translated / name).read_text(encoding="utf-8").strip().partition("\n")
        assert title.startswith("# ") and body.strip(), name


def test_caring_templates_come_in_the_members_language(app):
    spanish = {t.slug: t for t in mod_inbox.caring_templates("es")}
    english = {t.slug: t for t in mod_inbox.caring_templates(None)}
    assert spanish.keys() == english.keys()
    assert spanish["checking-in"].body != english["checking-in"].body
    assert "Pide ayuda ahora" in spanish["checking-in"].body
    # An unknown language, or a path trick, falls back to English.
    assert {t.body for t in mod_inbox.caring_templates("../..")} == \
        {t.body for t in english.values()}
    assert {t.body for t in mod_inbox.caring_templates("fr")} == \
        {t.body for t in english.values()}


def test_a_spanish_member_is_answered_in_spanish_by_the_rules(app, make_user):
    writer = make_user("rio-tranquilo")
    writer.locale = "es"
    verdict = screening.screen_text("I want to kill myself", scope="post", author=writer)
    assert "crisis" in verdict.categories
    english = screening.screen_text("I want to kill myself", scope="post", locale="en")
    assert verdict.message and verdict.message != english.message


def test_the_pages_language_is_the_writers_when_they_chose_none(app, make_user):
    writer = make_user("rio-sin-idioma")
    writer.locale = None
    for headers, expected in ((SPANISH, "es"), ({}, "en")):
        with app.test_request_context("/", headers=headers):
            flask_babel.refresh()  # the test shares one app context: forget the last choice
            assert screening.writer_language(writer) == expected
    writer.locale = "es"
    with app.test_request_context("/"):
        flask_babel.refresh()
        assert screening.writer_language(writer) == "es"


def test_spanish_sign_up_shows_the_guidelines_in_spanish(app, db, client):
    page = page_text(client.get("/signup", headers=SPANISH))
    assert "Normas de la comunidad" in page and "Somos iguales, no profesionales" in page
    assert "We are peers, not professionals" not in page
    english = page_text(app.test_client().get("/signup"))
    assert "We are peers, not professionals" in english


def test_a_spanish_sign_up_keeps_the_language_for_later_messages(app, db, client):
    token = csrf_from(client, "/signup")
    version = guidelines.current_version()
    response = client.post("/signup", headers=SPANISH, data={
        "csrf_token": token, "pseudonym": "garza-serena", "password": "a quiet lake at dawn",
        "password_confirm": "a quiet lake at dawn", "agree": "y",
        "guidelines_version": str(version.id)})
    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.pseudonym == "garza-serena"))
    assert user is not None and user.locale == "es"
    assert mod_inbox.member_language(user.id) == "es"


def test_a_version_without_spanish_says_so_and_shows_english(app, db, client, admin):
    guidelines.check_publish("# Rules\n\nBe kind, always.", acting_user=admin)
    page = page_text(client.get("/guidelines", headers=SPANISH))
    assert "Be kind, always." in page
    assert "Estas normas aún no están traducidas" in page
    page = page_text(app.test_client().get("/guidelines"))
    assert "not been translated" not in page


def test_admins_publish_both_languages_from_the_edit_form(app, db, admin):
    client = app.test_client()
    login(client, admin)
    token = csrf_from(client, "/guidelines/edit")
    response = client.post("/guidelines/edit", data={
        "csrf_token": token, "body": "# Rules\n\nBe kind.", "body_es": "# Normas\n\nSé amable."})
    assert response.status_code == 302
    latest = db.session.scalar(select(GuidelinesVersion).order_by(GuidelinesVersion.id.desc()))
    assert latest.translations == {"es": "# Normas\n\nSé amable."}
    assert "Sé amable." in page_text(app.test_client().get("/guidelines", headers=SPANISH))
    # The form opens with both texts of the version in force.
    form = page_text(client.get("/guidelines/edit"))
    assert "Sé amable." in form and "Be kind." in form


def test_the_review_page_offers_caring_templates_in_the_authors_language(
        app, db, board, screener, trained_moderator, make_user):
    """A moderator opening a Spanish member's item starts from the Spanish template."""
    author = make_user("lago-en-calma")
    author.locale = "es"
    db.session.commit()
    item = post_item(board, author, "Una noche muy dura", "crisis", action="flag")
    client = app.test_client()
    login(client, trained_moderator)
    page = page_text(client.get(f"/review/{item.id}?template=checking-in"))
    assert "Pide ayuda ahora" in page
