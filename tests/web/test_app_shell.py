"""The installable app over HTTP: the manifest, the service worker at the site's root, and what
the worker may keep on the device: static files and the crisis page in each language, as a
visitor sees it, and nothing else. The browser side is tests/e2e/test_app_shell_browser.py."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from forum.extensions import db
from tests.conftest import login, page_text

ROOT = Path(__file__).resolve().parent.parent.parent
CSS = (ROOT / "static" / "css" / "forum.css").read_text(encoding="utf-8")
CONFIG = re.compile(r"^const CONFIG = (\{.*\});$", re.MULTILINE)


def worker_config(client) -> dict:
    """The settings the server writes into /sw.js: what the worker may keep."""
    match = CONFIG.search(client.get("/sw.js").get_data(as_text=True))
    assert match, "no settings in /sw.js"
    return json.loads(match.group(1))


def fetch(client, url: str, **headers):
    """Status, mimetype and body of one GET (static files are streamed: closed here)."""
    with client.get(url, headers=headers) as response:
        return response.status_code, response.mimetype, response.get_data()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_service_worker_is_served_at_the_root_and_never_kept_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = response.get_data(as_text=True)
    assert "filled in by" not in script.split("const CONFIG", 1)[1].splitlines()[0]
    config = worker_config(client)
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    # The same files, the same worker: a browser reinstalls only when a deploy changed them.
    assert worker_config(client)["version"] == config["version"]


def test_the_worker_keeps_static_files_and_the_crisis_page_only(app, client, member):
    """The allowlist: every address is a static file or the crisis page; fetched as the worker
    fetches them (no cookie), each answers a visitor's page, with no member's name or token."""
    config = worker_config(client)
    kept = config["shell"] + list(config["crisis"].values()) + [config["icon"]]
    adapter = app.url_map.bind("localhost")
    endpoints = {adapter.match(url.split("?")[0])[0] for url in kept}
    assert endpoints == {"static", "crisis.index"}, endpoints
    assert set(config["crisis"]) == set(app.config["LANGUAGES"])
    assert all(url.startswith("/static/") for url in config["shell"])
    login(client, member)
    for url in kept:
        status, mimetype, body = fetch(app.test_client(), url)
        assert status == 200, url
        if mimetype == "text/html":
            assert b"crisis-page" in body and b'href="/login"' in body, url
            assert member.pseudonym.encode() not in body and b"csrf_token" not in body, url
    # The worker fetches them without the member's cookie, and its fetch handler answers from
    # its cache for these and nothing else.
    script = client.get("/sw.js").get_data(as_text=True)
    assert script.count("fetch(url, { credentials: \"omit\"") == 1
    assert "SHELL.has(url.pathname)" in script and "cachedCrisisPage(url)" in script
    assert script.count("cache.put(") == 2  # the kept files and the member's language/country


def test_the_crisis_page_the_worker_keeps_answers_in_each_language(client):
    config = worker_config(client)
    english = page_text(client.get(config["crisis"]["en"], headers={"Accept-Language": "es"}))
    spanish = page_text(client.get(config["crisis"]["es"], headers={"Accept-Language": "en"}))
    assert '<html lang="en">' in english and "Get help now" in english
    assert "988 Suicide & Crisis Lifeline" in english
    assert '<html lang="es">' in spanish and "Pide ayuda ahora" in spanish
    assert "988 Línea de Prevención del Suicidio y Crisis" in spanish
    # The member's country first, when the worker knows it; the page says which it chose.
    british = page_text(client.get(config["crisis"]["en"] + "&country=GB"))
    assert british.index("United Kingdom") < british.index("United States")
    assert 'data-crisis-country="GB"' in british
    # A hidden note app.js shows when there is no network.
    assert re.search(r'<p class="notice offline-note"[^>]*data-offline-note hidden>', english)
    # A language the forum does not have: the browser's, as before.
    assert '<html lang="es">' in page_text(
        client.get("/crisis?lang=fr", headers={"Accept-Language": "es"}))


def test_lang_overrides_the_account_language_on_the_crisis_page_only(client, member):
    member.locale = "es"
    db.session.commit()
    login(client, member)
    assert '<html lang="en">' in page_text(client.get("/crisis?lang=en"))
    assert '<html lang="es">' in page_text(client.get("/crisis"))
    assert '<html lang="es">' in page_text(client.get("/guidelines?lang=en"))


def test_the_manifest_installs_the_forum_with_its_icons(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Peer Support Forum" and manifest["short_name"]
    assert len(manifest["short_name"]) <= 12  # what a home screen shows under the icon
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/", "/", "standalone")
    assert manifest["lang"] == "en"
    # The colours are the stylesheet's own.
    assert f"--accent: {manifest['theme_color']}" in CSS
    assert f"--bg: {manifest['background_color']}" in CSS
    sizes = set()
    for icon in manifest["icons"]:
        status, mimetype, image = fetch(client, icon["src"])
        assert status == 200 and mimetype == "image/png", icon
        width, height = png_size(image)
        assert icon["sizes"] == f"{width}x{height}", icon
        sizes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    spanish = json.loads(client.get("/manifest.webmanifest?lang=es").get_data(as_text=True))
    assert spanish["lang"] == "es" and spanish["name"] == "Foro de apoyo entre pares"


def test_every_page_registers_the_worker_and_only_signed_in_pages_keep_the_crisis_page(
        app, client, member):
    visitor = page_text(client.get("/", headers={"Accept-Language": "es"}))
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=es">' in visitor
    assert '<meta name="theme-color" content="#1f5f8b">' in visitor
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', visitor).group(1)
    assert png_size(fetch(client, touch)[2]) == (180, 180)
    assert re.search(r'<script src="/static/js/app.js" defer data-sw="/sw.js"></script>', visitor)
    # A signed-out page never asks the worker to keep anything: after log-out nothing is.
    assert "data-offline-warm" not in visitor
    member.timezone = "Europe/London"
    db.session.commit()
    login(client, member)
    signed_in = page_text(client.get("/"))
    assert re.search(r'<script src="/static/js/app.js" defer data-sw="/sw.js" data-offline-warm'
                     r' data-crisis-country="GB" data-push-forget="/account/push/forget-device"'
                     r' data-push-relink="/account/push/subscribe" data-push-mark="[0-9a-f]{16}">'
                     r'</script>', signed_in)
    member.timezone = "UTC"
    db.session.commit()
    assert 'data-offline-warm data-crisis-country=""' in page_text(client.get("/"))
