"""Helpers for the Talk to someone now tests: supporters on duty and a recorded event bus."""

from __future__ import annotations

import pytest

from forum.services import events
from forum.services.review import duty
from forum.services.support import requests as support

BUS_NAMES = (support.REQUESTED, support.TAKEN, support.ACCEPTED, support.FALLBACK,
             support.CLOSED)


def on_duty(*users) -> None:
    """Put each person on duty through the service (audited like any duty change)."""
    for user in users:
        duty.check_set_duty(True, acting_user=user)


@pytest.fixture
def support_bus():
    """Every committed support event, as (name, payload, audience)."""
    got: list[tuple[str, dict, tuple]] = []

    def record(ev):
        got.append((ev.name, ev.payload, ev.audience))

    with events.subscribed(BUS_NAMES, record, alone=True):
        yield got


def audience_of(*users) -> set[str]:
    """The user-<id> audiences of these people."""
    return {f"user-{u.id}" for u in users}
