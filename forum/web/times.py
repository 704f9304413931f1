"""Every time a member reads on a page, from one place: a compact "2026-03-01 18:05" in the
viewer's own time zone (visitors: UTC). Where a time is a promise or an appointment (a shift, a
meeting reminder, the end of a mute or a suspension) the zone is named after it, as the chat
names it ("2026-03-01 18:05 America/Mexico_City"); elsewhere the footer names it once and every
<time> carries it in its title.

No Babel formatter here: the numeric form reads the same in every language, and a thread page
formats one time per post.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from flask import Flask
from flask_babel import get_timezone
from markupsafe import Markup

WHEN_FORMAT = "%Y-%m-%d %H:%M"


def init_app(app: Flask) -> None:
    """The `when`, `when_zoned` and `time_tag` filters and the `viewer_zone` global."""
    app.jinja_env.filters["when"] = short_datetime
    app.jinja_env.filters["when_zoned"] = zoned_datetime
    app.jinja_env.filters["time_tag"] = time_tag
    app.jinja_env.globals["viewer_zone"] = viewer_zone


def viewer_zone() -> str:
    """The name of the time zone the viewer's times are shown in (visitors: UTC)."""
    return str(get_timezone())


def local_text(moment: datetime, zone: tzinfo | None = None) -> str:
    """The compact form of a moment in a zone (the viewer's unless given): "2026-03-01 18:05"."""
    return moment.astimezone(zone or get_timezone()).strftime(WHEN_FORMAT)


def short_datetime(moment: datetime) -> str:
    """The `when` filter: the compact local time in the viewer's zone, the zone left unsaid."""
    return local_text(moment)


def zoned_datetime(moment: datetime, zone: tzinfo | None = None) -> str:
    """The `when_zoned` filter: the compact local time with its zone named
    ("2026-03-01 12:05 America/Mexico_City"), for a time someone will act on."""
    zone = zone or get_timezone()
    return f"{local_text(moment, zone)} {zone}"


def time_tag(moment: datetime, zoned: bool = False) -> Markup:
    """A <time> element: the exact moment for machines, the zone in its title, the compact local
    text inside (with the zone named too when `zoned`)."""
    zone = get_timezone()
    text = zoned_datetime(moment, zone) if zoned else local_text(moment, zone)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), str(zone), text)
