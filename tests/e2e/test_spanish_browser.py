"""A Spanish-speaking visitor (browser locale es-ES) signs up and finds crisis help in Spanish."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.flows import open_menu

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_signup_in_spanish(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/signup")
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_role("heading", name="Únete a la comunidad")).to_be_visible()
    page.get_by_label("Seudónimo").fill("nutria-serena")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repite la contraseña").fill(PASSWORD)
    page.get_by_label("Leí las normas de la comunidad y las acepto.").check()
    page.get_by_role("button", name="Crear mi cuenta").click()
    expect(page.get_by_role("heading", name="Guarda tus códigos de recuperación")).to_be_visible()
    assert page.locator(".recovery-codes code").count() > 0
    page.get_by_role("link", name="Ya los guardé, continuar").click()
    expect(page.get_by_role("heading", name="Te damos la bienvenida")).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()


def test_crisis_help_in_spanish(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/")
    page.get_by_role("link", name="Pide ayuda ahora").first.click()
    page.wait_for_url("**/crisis")
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_role("heading", name="Pide ayuda ahora", level=1)).to_be_visible()
    lifeline = page.locator('[id="988-lifeline"]')
    expect(lifeline).to_contain_text("988 Línea de Prevención del Suicidio y Crisis")
    expect(lifeline).to_contain_text("llama al 988 y oprime 2")
    expect(lifeline).to_contain_text("Atención en tu idioma")
    # The number itself still dials.
    assert lifeline.locator('a[href="tel:988"]').count() >= 1
    expect(page.locator(".crisis-urgent")).to_contain_text(
        "llama al número de emergencias de tu zona")
