"""The community guidelines: versioned Markdown that admins edit without a deploy."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import GuidelinesVersion, User
from ...models.base import utcnow
from .. import audit, transaction

MAX_LENGTH = 50_000


# The languages the forum is served in besides English (forum/translations).
LANGUAGES = ("es",)
DATA = Path(__file__).resolve().parent.parent / "data"


def _default_path() -> Path:
    configured = current_app.config.get("GUIDELINES_FILE")
    path = Path(configured) if configured else None
    return path if path is not None and path.exists() else DATA / "guidelines.md"


def _default_text() -> str:
    return _default_path().read_text(encoding="utf-8")


def _default_translations() -> dict[str, str] | None:
    # Beside the English file, one per language: guidelines.md → guidelines.es.md.
    path = _default_path()
    found = {}
    for lang in LANGUAGES:
        translated = path.with_name(f"{path.stem}.{lang}{path.suffix}")
        if translated.is_file():
            found[lang] = translated.read_text(encoding="utf-8")
    return found or None


def text_for(version: GuidelinesVersion, language: str | None) -> tuple[str, bool]:
    """The version's Markdown in this language, and whether it is a translation; English when
    the version has none in that language."""
    body = (version.translations or {}).get(language or "")
    return (body, True) if body else (version.body_md, False)


def current_version() -> GuidelinesVersion:
    """The guidelines in force; the first call publishes the default text as version 1."""
    version = db.session.scalar(select(GuidelinesVersion).order_by(GuidelinesVersion.id.desc()))
    if version is None:
        version = GuidelinesVersion(body_md=_default_text(), translations=_default_translations())
        db.session.add(version)
        transaction.commit()
    return version


def needs_agreement(user: User) -> bool:
    """True when the member has not yet agreed to the current version."""
    return user.guidelines_version != current_version().id


@transaction.atomic()  # with the first publication of the default text, if it happens here
def do_agree(user: User, version_id: int) -> None:
    """Record that the member agreed to this version."""
    if version_id != current_version().id:
        raise ValidationFailed(
            {"agree": [str(_l("The guidelines changed; please read them again."))]}
        )
    user.guidelines_version = version_id
    user.guidelines_agreed_at = utcnow()
    transaction.commit()


def check_publish(body_md: str, *, acting_user: User,
                  translations: dict[str, str] | None = None) -> GuidelinesVersion:
    """Publish a new version (admins only), with its translations; members agree again."""
    if not acting_user.has_role("admin"):
        raise PermissionDenied()
    body_md = body_md.strip()
    if not body_md:
        raise ValidationFailed({"body": [str(_l("The guidelines can't be empty."))]})
    if len(body_md) > MAX_LENGTH:
        raise ValidationFailed({"body": [str(_l("The guidelines are too long."))]})
    kept = {}
    for lang, text in (translations or {}).items():
        text = (text or "").strip()
        if lang not in LANGUAGES or not text:
            continue
        if len(text) > MAX_LENGTH:
            raise ValidationFailed({f"body_{lang}": [str(_l("The guidelines are too long."))]})
        kept[lang] = text
    version = GuidelinesVersion(body_md=body_md, translations=kept or None,
                                created_by_id=acting_user.id)
    db.session.add(version)
    db.session.flush()
    audit.record(
        "guidelines.publish",
        acting_user=acting_user,
        target_type="guidelines",
        target_id=version.id,
    )
    transaction.commit()
    return version
