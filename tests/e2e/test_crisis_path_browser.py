"""The crisis path on a phone (390x844), as a member in crisis and a moderator live it.

A crisis post with nobody on duty is answered honestly, the crisis lines on the first screen;
the post keeps a "Support for you" link back to that panel. A Spanish member finds the same in
Spanish, in a thread and in a chat room. With a trained moderator on duty in another browser,
the member is told so, the moderator gets the item live, claims it, and the caring message sent
from the item page reaches the member's messages with the team. Screenshots go to
test-artifacts/ so the phone layout can be looked at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.axe import blocking, run_axe
from tests.e2e.flows import log_in, open_menu, start_thread
from tests.livesrv import ROOT

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live
ARTIFACTS = ROOT / "test-artifacts"
PHONE_HEIGHT = 844
CRISIS_TEXT = "I want to end my life tonight. Nothing helps anymore."


def _shot(page, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"crisis-path-{name}.png"), full_page=full)


def _on_first_screen(locator) -> None:
    """The element is whole within the phone's screen as the page is, with nothing to scroll."""
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_HEIGHT, box


def _first_number(panel):
    """The first line's first number or address to tap."""
    return panel.locator("ul.resources > li").first.locator(".contacts a").first


def _assert_fits_phone_width(page) -> None:
    """Nothing on the page is wider than the phone (no sideways scrolling, nothing cut off)."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"], wide


# First in the module, before anyone goes on duty on this forum.
def test_crisis_post_with_nobody_on_duty_gets_the_lines_first(forum_url, new_page):
    cedar = new_page()
    log_in(cedar, forum_url, "morning-cedar")
    start_thread(cedar, forum_url, "Tonight", CRISIS_TEXT)
    cedar.wait_for_url(re.compile(r".*/t/\d+$"))
    thread_url = cedar.url

    panel = cedar.locator("#crisis-panel")
    expect(panel).to_be_visible()
    duty = panel.locator(".crisis-duty")
    expect(duty).to_contain_text("No trained moderator is on duty right now")
    expect(duty).to_contain_text("Please reach one of the lines below now.")
    # Nothing says someone is reading when nobody is.
    assert "on duty now" not in duty.inner_text()
    lines = panel.locator("ul.resources > li")
    assert lines.count() >= 1
    expect(lines.first).to_be_visible()
    # The page opens on the panel (focused, for a screen reader too): its heading, the honest
    # sentence and the first line's number are on the first screen, no header or thread above.
    expect(panel).to_be_focused()
    _on_first_screen(panel.get_by_role("heading", name="You are not alone"))
    _on_first_screen(duty)
    _on_first_screen(_first_number(panel))
    assert panel.bounding_box()["y"] < cedar.locator("h1").bounding_box()["y"]
    _assert_fits_phone_width(cedar)
    _shot(cedar, "1-phone-nobody-on-duty")
    # The panel opening the page (its h2 before the thread's h1, focused) stays accessible.
    assert blocking(run_axe(cedar)) == []
    _shot(cedar, "1-phone-nobody-on-duty-full", full=True)

    # After a reload the panel is gone from the thread; the post keeps a way back to it.
    cedar.goto(thread_url)
    expect(cedar.locator("#crisis-panel")).to_have_count(0)
    link = cedar.get_by_role("link", name="Support for you")
    expect(link).to_be_visible()
    _shot(cedar, "1-phone-thread-after-reload")
    link.click()
    cedar.wait_for_url(re.compile(r".*/p/\d+/support$"))
    again = cedar.locator("#crisis-panel")
    expect(again.locator(".crisis-duty")).to_contain_text(
        "No trained moderator is on duty right now")
    # No scrolling here: the heading and the panel fit the number on the first screen.
    _on_first_screen(_first_number(again))
    _assert_fits_phone_width(cedar)
    _shot(cedar, "1-phone-support-for-you")


# Second: still nobody on duty, so the Spanish sentence about people is the "nobody" one.
def test_spanish_member_on_the_crisis_path(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/signup")
    assert page.locator("html").get_attribute("lang") == "es"
    guidelines = page.locator(".guidelines-box")
    expect(guidelines.locator("summary")).to_have_text("Normas de la comunidad")
    # The Spanish text itself, not the English one with a note.
    expect(guidelines).not_to_contain_text("have not been translated")
    assert guidelines.locator("[lang=en]").count() == 0
    expect(guidelines.get_by_role("heading", name="Somos iguales, no profesionales")
           ).to_be_visible()
    expect(guidelines).to_contain_text("usa Pide ayuda ahora, arriba en cada página")
    _shot(page, "3-phone-es-signup", full=True)
    page.get_by_label("Seudónimo").fill("garza-tranquila")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repite la contraseña").fill(PASSWORD)
    page.get_by_label("Leí las normas de la comunidad y las acepto.").check()
    page.get_by_role("button", name="Crear mi cuenta").click()
    page.get_by_role("link", name="Ya los guardé, continuar").click()
    expect(page.get_by_role("heading", name="Te damos la bienvenida")).to_be_visible()

    # English words the rules catch; the answer is in the member's language.
    page.goto(forum_url + "/c/daily-check-ins/new")
    page.fill("#title", "Esta noche")
    page.fill("#body", CRISIS_TEXT)
    page.get_by_role("button", name="Publicar el tema").click()
    page.wait_for_url(re.compile(r".*/t/\d+$"))
    panel = page.locator("#crisis-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        "Nadie tiene que pasar por esto a solas")
    expect(panel).to_contain_text("Gracias por contárnoslo. Lo que sientes importa.")
    expect(panel.locator(".crisis-duty")).to_contain_text(
        "Ahora mismo no hay ningún moderador con formación de guardia")
    expect(panel).to_contain_text("Si estás pensando en hacerte daño o estás en peligro")
    expect(panel).to_contain_text("988 Línea de Prevención del Suicidio y Crisis")
    expect(panel.get_by_role("button", name="Habla con alguien ahora")).to_be_visible()
    # Which number is for a call and which for a text, in Spanish, beside the number.
    expect(panel.locator("ul.resources > li").first.locator(".contacts")).to_contain_text(
        "Llama")
    _on_first_screen(_first_number(panel))
    _assert_fits_phone_width(page)
    _shot(page, "3-phone-es-panel")
    _shot(page, "3-phone-es-panel-full", full=True)
    page.reload()
    page.get_by_role("link", name="Apoyo para ti").click()
    page.wait_for_url(re.compile(r".*/p/\d+/support$"))
    expect(page.locator("#crisis-panel .crisis-duty")).to_contain_text(
        "Ahora mismo no hay ningún moderador con formación de guardia")

    # In a chat room the private support box answers in Spanish too.
    page.goto(forum_url + "/rooms/coffee-room")
    expect(page.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)
    page.fill("#chat-text", "I'm going to kill myself tonight")
    page.get_by_role("button", name="Enviar").click()
    box = page.locator(".chat-support")
    expect(box).to_be_visible(timeout=8000)
    expect(box.locator(".chat-support-people")).to_contain_text(
        "Ahora mismo no hay ningún moderador con formación de guardia")
    expect(box).to_contain_text("988 Línea de Prevención del Suicidio y Crisis")
    expect(box).not_to_contain_text("It sounds like")
    # Which number is for a call and which for a text: the same 988 is both.
    expect(box.locator("li").first).to_contain_text("Llama")
    # Brought into view from the text box below the log, the lines readable at once.
    _on_first_screen(box.locator("li").first.locator("a").first)
    _assert_fits_phone_width(page)
    _shot(page, "3-phone-es-chat-support")
    assert blocking(run_axe(page)) == []


def test_on_duty_moderator_reaches_out_and_the_member_reads_it(forum_url, new_page):
    rowan = new_page(1280, 900)
    log_in(rowan, forum_url, "rowan-pine")
    rowan.goto(forum_url + "/review")
    rowan.get_by_role("button", name="Go on duty").click()
    expect(rowan.locator(".duty-form")).to_contain_text("You are on duty.")
    # The /mod socket's connect is answered once it has joined the on-duty rooms.
    rowan.locator('.review-page[data-live="1"]').wait_for(state="attached", timeout=8000)
    live = rowan.locator(".live-list li")
    before = live.count()

    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    start_thread(heron, forum_url, "Can't keep going", CRISIS_TEXT)
    heron.wait_for_url(re.compile(r".*/t/\d+$"))
    panel = heron.locator("#crisis-panel")
    expect(panel.locator(".crisis-duty")).to_have_text(
        "A trained moderator is on duty now, and your post is in their queue.")
    _on_first_screen(_first_number(panel))
    _assert_fits_phone_width(heron)
    _shot(heron, "2-phone-moderator-on-duty")

    # Live, well inside the page's 15-second poll: through the /mod socket.
    live.nth(before).wait_for(timeout=8000)
    alert = live.nth(before)
    expect(alert).to_contain_text("crisis")
    _shot(rowan, "2-desktop-review-alert")
    alert.get_by_role("link").click()
    rowan.wait_for_url(re.compile(r".*/review/\d+$"))
    item_url = rowan.url
    # The same item on the moderator's phone: every fact fits, nothing scrolls sideways.
    rowan_phone = new_page()
    log_in(rowan_phone, forum_url, "rowan-pine")
    rowan_phone.goto(item_url)
    expect(rowan_phone.locator(".item-facts")).to_contain_text("crisis")
    _assert_fits_phone_width(rowan_phone)
    rowan.get_by_role("button", name="Claim this item").click()
    expect(rowan.get_by_text("You are working on this item.").first).to_be_visible()
    reach = rowan.locator("section.reach-out")
    expect(reach.get_by_role("heading", name="Reach out first")).to_be_visible()
    reach.get_by_role("link", name="Send a caring message").click()
    body = rowan.locator("#care-h ~ form textarea")
    expect(body).not_to_have_value("")
    caring = body.input_value()
    _shot(rowan, "2-desktop-item-caring-message")
    rowan.get_by_role("button", name="Send privately").click()
    rowan.wait_for_load_state()

    # The member is told on any page that the team wrote.
    heron.goto(forum_url + "/")
    open_menu(heron)
    team = heron.get_by_role("link", name=re.compile("^Moderators"))
    expect(team).to_contain_text("1 new")
    team.click()
    heron.wait_for_url(forum_url + "/inbox")
    message = heron.locator("ol.messages li.from-team").last
    expect(message).to_be_visible()
    expect(message.locator(".meta")).to_contain_text("The moderation team")
    first_line = caring.strip().splitlines()[0]
    expect(message.locator(".message-body")).to_contain_text(first_line)
    _assert_fits_phone_width(heron)
    _shot(heron, "2-phone-member-inbox")
    _shot(heron, "2-phone-member-inbox-full", full=True)
