"""The installable app: the web app manifest and the service worker.

The worker is served from the site's root because its scope can be no wider than its own path
(a worker under /static/ could not answer for /crisis). Its settings, the short list of what it
may keep on the device, are written into it here from the app's own URLs, so the list cannot
drift from the routes; its version follows those files, so a deploy that changes any of them
installs a new worker, whose cache replaces the old one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zoneinfo
from importlib import resources
from pathlib import Path

from flask import Blueprint, current_app, request, url_for
from flask_babel import force_locale, get_locale, gettext as _
from flask_login import current_user

bp = Blueprint("app_shell", __name__)

# What a page needs to draw the crisis lines with no network: forum.css, the scripts every
# page loads, and the icons. Static files only; the pages themselves are the crisis page alone.
SHELL_FILES = ("css/forum.css", "js/forum.js", "js/drafts.js", "js/app.js", "favicon.svg",
               "icons/app-192.png")
ICONS = (
    ("icons/app-192.png", "192x192", "any"),
    ("icons/app-512.png", "512x512", "any"),
    ("icons/app-maskable-512.png", "512x512", "maskable"),
)
# --accent and --bg in static/css/forum.css.
THEME_COLOR = "#1f5f8b"
BACKGROUND_COLOR = "#fbfaf7"
SW_SOURCE = "sw.js"
# The one spot in static/sw.js that this module fills in.
SW_CONFIG_SLOT = "{/* filled in by forum/web/app_shell.py */}"


def _language() -> str:
    """?lang= when it names one of the forum's languages, else the page's own language."""
    asked = request.args.get("lang", "")
    if asked in current_app.config["LANGUAGES"]:
        return asked
    locale = get_locale()
    return locale.language if locale else "en"


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: the name, colours and icons a phone shows once installed."""
    language = _language()
    with force_locale(language):
        name, short_name = _("Peer Support Forum"), _("Peer Support")
        description = _("Recovery peer support, and crisis lines that open without a network.")
    body = {
        "id": "/",
        "name": name,
        "short_name": short_name,
        "description": description,
        "lang": language,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": url_for("static", filename=path), "sizes": sizes, "type": "image/png",
             "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _static_path(filename: str) -> Path:
    return Path(current_app.static_folder or "") / filename


def worker_config() -> dict:
    """What the worker may keep: the shell files and the crisis page in each language (the
    worker adds &country= when it knows the member's country), and its version."""
    config = {
        "shell": [url_for("static", filename=name) for name in SHELL_FILES],
        "crisis": {code: url_for("crisis.index", lang=code)
                   for code in current_app.config["LANGUAGES"]},
        "languages": list(current_app.config["LANGUAGES"]),
        "icon": url_for("static", filename="icons/app-192.png"),
    }
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for name in (SW_SOURCE, *SHELL_FILES):
        digest.update(_static_path(name).read_bytes())
    config["version"] = digest.hexdigest()[:16]
    return config


def _worker_script() -> str:
    source = _static_path(SW_SOURCE).read_text(encoding="utf-8")
    if SW_CONFIG_SLOT not in source:
        raise RuntimeError(f"static/{SW_SOURCE} lost its settings slot")
    return source.replace(SW_CONFIG_SLOT, json.dumps(worker_config(), sort_keys=True), 1)


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that its scope is the whole site."""
    cache = current_app.extensions.setdefault("app_shell", {})
    script = cache.get("script") if not current_app.debug else None
    if script is None:
        script = cache["script"] = _worker_script()
    response = current_app.response_class(script, mimetype="text/javascript")
    # The browser asks again on every visit, so a deploy reaches every phone at its next page.
    response.headers["Cache-Control"] = "no-cache"
    return response


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Time zone → ISO country code, from the IANA database's zone.tab."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        text = ""
        for folder in zoneinfo.TZPATH:
            path = Path(folder) / "zone.tab"
            if path.is_file():
                text = path.read_text("utf-8")
                break
    countries = {}
    for line in text.splitlines():
        columns = line.split("\t")
        if len(columns) >= 3 and not line.startswith("#"):
            countries[columns[2]] = columns[0]
    return countries


@bp.app_template_global()
def member_crisis_country() -> str:
    """The signed-in member's country as their time zone tells it ("" when it does not), so the
    crisis page kept for them offline lists their own lines first."""
    if not current_user.is_authenticated:
        return ""
    return _zone_countries().get(current_user.timezone or "", "")
