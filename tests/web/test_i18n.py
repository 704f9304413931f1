"""Spanish for the member-facing pages: chosen from the account's preference or the browser,
complete for the templates listed below, and compiled from the catalog that is committed."""

from __future__ import annotations

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from tests.conftest import csrf_from, login, page_text
from tests.fixtures import (
    chat as chat_support,
    meetings as meetings_support,
    threads as threads_support,
)
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.meetings import schedule
from tests.fixtures.threads import new_thread

board = threads_support.board
fake_clock = meetings_support.fake_clock
screener = threads_support.screener
room = chat_support.room

ROOT = Path(__file__).resolve().parent.parent.parent
CATALOGS = ROOT / "forum" / "translations"
# The member-facing templates and modules whose every string must have a Spanish translation.
# A page added later gets a line here once `make messages` and `make translations` have brought
# its strings into the catalog.
MEMBER_FACING = [
    "templates/base.html", "templates/_macros.html", "templates/errors.html",
    "templates/errors/unavailable.html", "forum/errors.py", "templates/auth/signup.html",
    "templates/auth/login.html", "templates/auth/recover.html",
    "templates/auth/recovery_codes.html", "templates/main/index.html",
    "templates/main/guidelines.html", "templates/boards/board.html",
    "templates/threads/thread.html", "templates/threads/_posts.html",
    "templates/threads/_support_note.html", "templates/threads/_post_form.html",
    "templates/threads/new.html", "templates/threads/reply.html", "templates/threads/report.html",
    "templates/rooms/index.html", "templates/rooms/room.html", "templates/rooms/_host_panel.html",
    "templates/rooms/_host_alerts.html", "templates/crisis/index.html",
    "templates/crisis/_panel.html", "templates/crisis/post.html", "templates/account/index.html",
    "templates/meetings/index.html", "templates/meetings/meeting.html",
    "templates/meetings/form.html", "templates/meetings/attendance.html",
    "templates/support/start.html", "templates/support/request.html",
    "templates/support/requests.html", "templates/support/_resources.html",
    "templates/measures/shared.html", "templates/measures/_report.html",
    "templates/measures/checkin.html", "templates/notifications/index.html",
    "templates/notifications/milestone.html", "templates/threads/edit.html",
    "templates/threads/history.html", "templates/threads/search.html",
    "templates/account/deleted.html", "templates/review/resubmit.html", "templates/team/inbox.html",
    "templates/team/strikes.html", "templates/team/people.html", "forum/web/people.py",
    "forum/services/accounts/people.py", "forum/services/accounts/roles.py",
    "forum/web/app_shell.py", "forum/web/forms.py", "forum/web/thread_forms.py",
    "forum/web/crisis.py", "forum/web/auth.py", "forum/web/account.py", "forum/web/__init__.py",
    "forum/services/accounts/account.py", "forum/services/accounts/passwords.py",
    "forum/services/threads/posts.py", "forum/services/accounts/pseudonyms.py",
    "forum/services/chat/badges.py", "forum/services/chat/messages.py", "forum/realtime/chat.py",
    "forum/realtime/acks.py", "forum/services/threads/reactions.py",
    "forum/services/threads/reports.py", "templates/auth/confirm.html", "forum/web/step_up.py",
    "forum/services/accounts/step_up.py", "forum/web/meetings.py", "forum/web/meeting_forms.py",
    "forum/services/meetings/schedule.py", "forum/services/meetings/plan.py",
    "forum/services/meetings/reminders.py", "forum/services/meetings/sessions.py",
    "forum/web/support.py", "forum/services/support/requests.py",
    "forum/services/chat/facilitation.py", "forum/services/chat/entry.py",
    "forum/services/chat/guards.py", "forum/web/measures.py", "forum/services/measures/report.py",
    "forum/services/measures/checkins.py", "forum/services/measures/feeds.py",
    "forum/services/measures/figures.py", "forum/web/notifications.py",
    "forum/services/accounts/milestones.py", "forum/services/accounts/mutes.py",
    "forum/services/review/content.py", "forum/web/team.py", "forum/services/review/sanctions.py",
    "templates/account/security.html", "templates/account/_security_enrol.html",
    "templates/account/_security_codes.html", "templates/auth/second_factor.html",
    "forum/web/security.py", "forum/services/accounts/two_factor.py",
    "templates/account/sessions.html", "forum/web/account_sessions.py",
    "templates/account/_passkeys.html", "templates/auth/_passkey_sign_in.html",
    "templates/auth/_passkey_step_up.html", "forum/web/passkeys.py",
    "forum/services/accounts/passkeys.py", "templates/account/push.html", "forum/web/push.py",
    "forum/services/push/outbox.py", "forum/services/push/subscriptions.py",
]
SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}


def _catalog(language: str):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _strings_of(relative: str) -> set[str]:
    method = "jinja2" if relative.endswith(".html") else "python"
    keywords = dict(DEFAULT_KEYWORDS, _l=None)
    found = set()
    for _line, message, _comments, _context in extract_from_file(
        method, str(ROOT / relative), keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("relative", MEMBER_FACING)
def test_every_member_facing_string_has_a_spanish_translation(relative):
    catalog = _catalog("es")
    strings = _strings_of(relative)
    assert strings, f"{relative} has no translatable strings: is the path right?"
    missing = []
    for text in sorted(strings):
        message = catalog.get(text)
        translated = message.string if message is not None else None
        if isinstance(translated, tuple):
            translated = all(translated) and translated[0]
        if not translated or (message is not None and message.fuzzy):
            missing.append(text)
    assert not missing, (
        f"{relative}: run `make messages` and `make translations`, then translate in"
        f" forum/translations/es/LC_MESSAGES/messages.po: {missing}"
    )


def test_spanish_placeholders_are_kept():
    for message in _catalog("es"):
        if not message.id or not message.string:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(targets):
            continue  # untranslated: English is shown
        wanted = set(message.python_format and _placeholders(sources[-1]) or ())
        for target in targets:
            assert set(_placeholders(target)) == wanted, (message.id, target)


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)[sd]", text)


def test_compiled_catalog_matches_its_source():
    mo = CATALOGS / "es" / "LC_MESSAGES" / "messages.mo"
    with open(mo, "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalog("es"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not all(strings) or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
        else:
            assert compiled.gettext(message.id) == message.string, (
                f"{mo} is older than its .po: run `make translations`"
            )


class _VisibleText(HTMLParser):
    """Text a reader sees (and labels a screen reader reads), without scripts or styles."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "title") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def test_signup_page_in_spanish_leaves_nothing_in_english(client):
    response = client.get("/signup", headers=SPANISH)
    assert response.status_code == 200
    page = page_text(response)
    assert '<html lang="es">' in page
    for spanish in ("Únete a la comunidad", "Seudónimo", "Contraseña", "Repite la contraseña",
                    "Crear mi cuenta", "Sugiéreme uno", "Pide ayuda ahora"):
        assert spanish in page
    english = {m.id for m in _catalog("es") if isinstance(m.id, str) and m.id and m.string
               and m.string != m.id}
    parser = _VisibleText()
    parser.feed(response.get_data(as_text=True))
    # The guidelines body is the community's own document, in its own language.
    guidelines_start = page.index('class="prose scroll-box"')
    guidelines_text = page[guidelines_start:page.index("</details>", guidelines_start)]
    leftovers = [t for t in parser.texts if t in english and t not in guidelines_text]
    assert not leftovers, f"untranslated on the Spanish sign-up page: {leftovers}"


@pytest.mark.parametrize(("path", "spanish"), [
    ("/", "Te damos la bienvenida"),
    ("/login", "¿Olvidaste tu contraseña? Usa un código de recuperación."),
    ("/rooms", "Salas de chat"),
    ("/crisis", "llama al 988 y oprime 2"),
    ("/recover", "Restablece tu contraseña"),
])
def test_visitor_pages_follow_the_browser_language(client, path, spanish):
    response = client.get(path, headers=SPANISH)
    assert response.status_code == 200
    page = page_text(response)
    assert '<html lang="es">' in page and spanish in page
    english = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in page_text(english) and spanish not in page_text(english)


def test_crisis_page_in_spanish_keeps_every_number_and_marks_spanish_lines(client):
    spanish = page_text(client.get("/crisis", headers=SPANISH))
    english = page_text(client.get("/crisis"))
    for number in ("911", "988", "741741", "1-800-662-4357", "1-800-484-3731"):
        assert number in spanish and number in english
    assert "988 Línea de Prevención del Suicidio y Crisis" in spanish
    assert "Llama y oprime 2 para español" in spanish
    assert "Atención en tu idioma" in spanish and "Help in your language" not in english
    # Lines the file does not translate keep their own words.
    assert "Samaritans" in spanish


def test_board_thread_and_posting_pages_in_spanish(app, client, member, board, screener):
    thread = new_thread(board, member).post.thread
    login(client, member)
    for path, spanish in (
        (f"/c/{board.slug}", "Abrir un tema"),
        (f"/t/{thread.id}", "Publicar la respuesta"),
        (f"/c/{board.slug}/new", "Publicar el tema"),
    ):
        page = page_text(client.get(path, headers=SPANISH))
        assert '<html lang="es">' in page and spanish in page, path


def test_account_preference_beats_the_browser_and_offers_espanol(client, member):
    login(client, member)
    account = page_text(client.get("/account"))
    assert '<option value="es">Español</option>' in account
    token = csrf_from(client, "/account")
    saved = client.post("/account/preferences",
                        data={"locale": "es", "timezone": "Europe/Madrid", "csrf_token": token})
    assert saved.status_code == 302
    page = page_text(client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="es">' in page and "Cerrar sesión" in page
    token = csrf_from(client, "/account")
    client.post("/account/preferences", data={"locale": "", "timezone": "Europe/Madrid",
                                              "csrf_token": token})
    page = page_text(client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="en">' in page and "Log out" in page


def test_chat_support_resources_come_in_the_members_language(app, member, second_member,
                                                             room, screener):
    from forum.services.accounts import account as accounts

    accounts.set_preferences(member, locale="es", timezone="UTC")
    spanish, english = connect(app, member), connect(app, second_member)
    for sock in (spanish, english):
        assert emit(sock, "join", {"room": room.slug})["ok"]
    text = "I want to end it [[hold:crisis]]"
    assert emit(spanish, "send", {"room": room.slug, "client_id": "es-1", "text": text})["ok"]
    assert emit(english, "send", {"room": room.slug, "client_id": "en-1", "text": text})["ok"]
    (es_support,) = received(spanish, "support")
    (en_support,) = received(english, "support")
    assert [r["name"] for r in es_support["resources"]] == [
        "988 Línea de Prevención del Suicidio y Crisis"]
    assert es_support["resources"][0]["contacts"][0]["note"] == "Llama y oprime 2 para español"
    assert [r["name"] for r in en_support["resources"]] == ["988 Suicide & Crisis Lifeline"]


def _words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def test_meetings_in_spanish_name_the_days_in_spanish(app, client, facilitator, fake_clock):
    from datetime import UTC, datetime

    meeting = schedule(facilitator)
    fake_clock.set(datetime(2026, 10, 20, 17, 0, tzinfo=UTC))  # Tuesday, an hour before
    listing = _words(client.get("/meetings", headers=SPANISH))
    assert "Reuniones" in listing and "Las horas se muestran en UTC" in listing
    assert "mar 2026-10-20 18:00" in listing and "mar 19:00 en Europe/London" in listing
    assert "Tue " not in listing and "Log in to join" not in listing
    page = _words(client.get(f"/meetings/{meeting.id}", headers=SPANISH))
    assert "Cada martes a las 19:00 (Europe/London), durante 60 minutos" in page
    assert "Ronda de cómo estamos" in page and "20 personas" in page
    assert "Tue 2026-10-20 18:00" in _words(client.get("/meetings"))


def test_checkin_in_spanish_says_its_wording_is_a_translation(app, client, member):
    login(client, member)
    token = csrf_from(client, "/account/checkin")
    assert client.post("/account/checkin/opt-in", data={"csrf_token": token}).status_code == 302
    spanish = _words(client.get("/account/checkin", headers=SPANISH))
    assert "¿Cuánta conexión sientes con esta comunidad?" in spanish
    assert "Hay cosas más importantes para mí en la vida que consumir sustancias." in spanish
    assert "nuestra traducción de los ítems publicados en inglés" in spanish
    assert "no se ha validado" in spanish
    english = _words(client.get("/account/checkin"))
    assert "There are more important things to me in life than using substances." in english
    assert "our translation" not in english


def test_support_and_facilitator_tools_in_spanish(app, client, facilitator, room):
    login(client, facilitator)
    assert "Habla con alguien ahora" in _words(client.get("/support", headers=SPANISH))
    page = page_text(client.get(f"/rooms/{room.slug}", headers=SPANISH))
    # The strings chat-host.js shows come from these attributes.
    assert "Herramientas del facilitador" in page and 'data-l-admit="Dejar entrar"' in page
    assert "Modo lento" in page and "Un mensaje cada" in page
