"""The chat `support` answer to a crisis message says only what is true right now about people:
trained moderators on duty, else the next shift in the writer's zone, else nobody scheduled; and
no rule message makes a promise about people of its own."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from forum.services import clock
from forum.services.review import duty
from tests.fixtures import chat as chat_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.talk import on_duty

room = chat_support.room
CRISIS = "I want to end my life tonight. Nothing helps anymore."
RULES = Path(__file__).resolve().parent.parent.parent / "moderation_rules"
# Words that promise a person will act, or when: the page adds who is on duty instead.
PROMISES = re.compile(r"will (see|contact|say hello|reach|call|be with)|has been alerted|"
                      r"\bsoon\b|verá|te contactar|ha sido avisad", re.IGNORECASE)


def _support_for(app, member, room, text=CRISIS):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": room.slug})["ok"]
    sock.get_received("/chat")
    client_id = f"c{len(text)}"  # each text its own message, never a resend
    ack = emit(sock, "send", {"room": room.slug, "client_id": client_id, "text": text})
    assert ack["ok"], ack
    support = received(sock, "support")
    assert len(support) == 1
    return support[0]


def test_nobody_on_duty_and_none_scheduled_is_said_plainly(app, room, member):
    support = _support_for(app, member, room)
    assert support["kind"] == "crisis"
    assert support["people"] == ("No trained moderator is on duty right now, and no shift is"
                                 " scheduled. Please reach one of the lines below now.")
    assert support["resources"]  # the lines come with it


def test_a_trained_moderator_on_duty_is_counted(app, room, member, trained_moderator,
                                                 moderator):
    on_duty(moderator)  # untrained for crisis work: not promised
    assert "No trained moderator" in _support_for(app, member, room)["people"]
    on_duty(trained_moderator)
    support = _support_for(app, member, room, CRISIS + " Really.")
    assert support["people"] == "1 trained moderator is on duty now and has been told."


def test_the_next_shift_is_given_in_the_writers_zone(app, room, member, admin, db):
    member.timezone = "America/Mexico_City"
    db.session.commit()
    start = (clock.now() + timedelta(days=2)).replace(hour=20, minute=0, second=0,
                                                      microsecond=0)
    duty.check_add_shift(start, start + timedelta(hours=4), moderator=None, acting_user=admin)
    people = _support_for(app, member, room)["people"]
    local = start.astimezone(ZoneInfo("America/Mexico_City"))
    assert f"starts {local:%Y-%m-%d %H:%M} (America/Mexico_City)" in people


def test_a_spanish_writer_reads_it_in_spanish(app, room, member, db):
    member.locale = "es"
    db.session.commit()
    support = _support_for(app, member, room, "quiero quitarme la vida, I want to die")
    assert support["people"].startswith("Ahora mismo no hay")
    assert "024" in support["message"]


def test_a_relapse_note_speaks_of_nobody(app, room, member):
    support = _support_for(app, member, room, "i used again last night")
    assert support["kind"] == "gentle" and support["people"] is None


def _risk_messages():
    for path in sorted((RULES / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            if rule["category"] in {"crisis", "crisis-method", "overdose"} and rule.get("message"):
                for language, text in rule["message"].items():
                    yield pytest.param(text, id=f"{rule['id']}-{language}")


@pytest.mark.parametrize("text", list(_risk_messages()))
def test_no_risk_message_promises_when_a_person_will_act(text):
    # A pseudonym's welcome may say a moderator will write: that item always reaches the queue
    # and is answered whenever someone is on duty; it promises no time.
    assert not PROMISES.search(text.replace("will write to you", "")), text
