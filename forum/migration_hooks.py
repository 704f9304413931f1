"""Alembic autogenerate hooks, shared by migrations/env.py (through Flask-Migrate) and tests."""

from __future__ import annotations

from .models.base import UTCDateTime

# Tables the migrations manage by hand (full-text search indexes differ per database engine).
UNMANAGED_PREFIXES = ("search_",)


def render_item(type_, obj, autogen_context):
    """Write UTCDateTime as a plain timezone-aware DateTime so migrations don't import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Leave hand-managed search tables out of autogenerate."""
    if type_ == "table" and name and name.startswith(UNMANAGED_PREFIXES):
        return False
    table = getattr(obj, "table", None)
    if table is not None and table.name.startswith(UNMANAGED_PREFIXES):
        return False
    return True
