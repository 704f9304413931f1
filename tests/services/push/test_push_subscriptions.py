"""Push subscriptions and the VAPID key: what a browser may register, whose it is, what its
owner sees, export and deletion, and where the key comes from."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from forum.errors import ValidationFailed
from forum.extensions import db
from forum.models import PushMessage, PushPreferences, PushSubscription
from forum.services.accounts import privacy, sign_ins
from forum.services.push import (
    keys as push_keys,
    outbox as push_outbox,
    subscriptions as push_subscriptions,
)
from tests import push_service as local_push
from tests.push_service import Browser

FCM = "https://fcm.googleapis.com/fcm/send/abc123"


@pytest.fixture
def app_config(app_config):
    return local_push.push_config(app_config)


def browser(endpoint: str = FCM) -> Browser:
    return Browser("phone", endpoint)


def subscribe(user, endpoint=FCM, **kwargs):
    b = browser(endpoint)
    kwargs.setdefault("keys", b.keys)
    return push_subscriptions.do_subscribe(user, endpoint=endpoint, **kwargs)


@pytest.mark.parametrize("endpoint", [
    FCM,
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    "https://web.push.apple.com/QGt9",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    "http://127.0.0.1:8123/push/one",  # a local push service, as the tests allow
    "http://localhost:8123/push/one",
])
def test_push_services_endpoints_are_accepted(member, endpoint):
    assert subscribe(member, endpoint).endpoint == endpoint


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/abc",  # not https
    "https://evil.example/fcm.googleapis.com/x",  # not a push service
    "https://fcm.googleapis.com.evil.example/x",
    "https://user:pw@fcm.googleapis.com/x",
    "http://10.0.0.7/push",  # plain http only to this machine
    "http://169.254.169.254/latest/meta-data",
    "ftp://127.0.0.1/push",
    "https://fcm.googleapis.com/" + "a" * 1100,
    "https://fcm.googleapis.com/a b",
    "https://fcm.googleapis.com:99999/x",
    # urlsplit and the HTTP client must agree on the host: a backslash, userinfo, anything
    # outside RFC 3986 is refused.
    "https://169.254.169.254\\.fcm.googleapis.com/x",
    "https://169.254.169.254\\.push.apple.com/x",
    "https://127.0.0.1\\.web.push.apple.com/x",
    "https://fcm.googleapis.com\\@169.254.169.254/x",
    "https://fcm.googleapis.com/fcm/send\\x",
    "https://fcm.googleapis.com@evil/",
    "https://fcm.googleapis.com@evil.example/fcm/send/x",
    "https://fcm.googleapis.com:443@evil.example/x",
    "https://evil;.fcm.googleapis.com/x",
    "https://169.254.169.254%2f.fcm.googleapis.com/x",
    "https://169.254.169.254.fcm.googleapis.com%00/x",
    "https://fcm.googleapis.com/x%zz",
    "https://fcm.googleapis.com/\u00e9",
    "https://fcm.googleapis.com/x\ty",
    "https://fcm.googleapis.com/x#@evil",
    "https://[::ffff:a9fe:a9fe]/x",
    "", None, 42,
])
def test_other_endpoints_are_refused(member, endpoint):
    with pytest.raises(ValidationFailed):
        subscribe(member, endpoint, keys=browser().keys)
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_plain_http_to_this_machine_needs_the_test_setting(app, member):
    app.config["PUSH_ALLOW_INSECURE_ENDPOINTS"] = False
    with pytest.raises(ValidationFailed):
        subscribe(member, "http://127.0.0.1:8123/push/one")


def test_the_push_service_list_can_be_replaced(app, member):
    app.config["PUSH_SERVICE_HOSTS"] = ("push.example.org",)
    assert subscribe(member, "https://eu.push.example.org/s/1").id
    with pytest.raises(ValidationFailed):
        subscribe(member, FCM)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("keys", [
    None, "keys", {},
    {"p256dh": browser().keys["p256dh"]},
    {"p256dh": browser().keys["p256dh"], "auth": _b64(b"short")},
    {"p256dh": _b64(b"\x04" + b"\x01" * 64), "auth": _b64(b"a" * 16)},  # not on the curve
    {"p256dh": _b64(b"\x04" * 33), "auth": _b64(b"a" * 16)},
    {"p256dh": "!!not base64!!", "auth": _b64(b"a" * 16)},
])
def test_keys_must_be_a_p256_point_and_a_16_byte_secret(member, keys):
    with pytest.raises(ValidationFailed):
        subscribe(member, keys=keys)


def test_the_same_browser_again_updates_its_row(member):
    first = subscribe(member, device_name="Phone")
    fresh = browser()
    again = subscribe(member, keys=fresh.keys, device_name=None)
    assert again.id == first.id
    assert again.p256dh == fresh.keys["p256dh"] and again.device_name == "Phone"
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 1


def test_a_browser_another_account_subscribed_becomes_this_accounts(member, second_member):
    subscribe(second_member)
    push_outbox.send_test(second_member)
    mine = subscribe(member)
    assert mine.user_id == member.id
    assert [s.user_id for s in db.session.scalars(select(PushSubscription))] == [member.id]
    # The other account's pending push does not go to this account's browser.
    assert db.session.scalar(select(func.count(PushMessage.id))) == 0


def test_an_account_has_at_most_twenty_devices(member):
    for i in range(push_subscriptions.MAX_PER_ACCOUNT):
        subscribe(member, f"{FCM}-{i}")
    with pytest.raises(ValidationFailed):
        subscribe(member, f"{FCM}-more")


def test_names_lose_control_characters(member):
    row = subscribe(member, device_name="  My\x00 phone\n  ")
    assert row.device_name == "My phone"
    with pytest.raises(ValidationFailed):
        subscribe(member, device_name=["not", "text"])


def test_owners_only_rename_and_remove(member, second_member):
    row = subscribe(member)
    assert push_subscriptions.find(second_member, row.id) is None
    assert not push_subscriptions.rename(second_member, row.id, "Mine now")
    assert not push_subscriptions.remove(second_member, row.id)
    assert push_subscriptions.rename(member, row.id, "Kitchen tablet")
    assert db.session.get(PushSubscription, row.id).device_name == "Kitchen tablet"
    assert push_subscriptions.remove(member, row.id)
    assert db.session.get(PushSubscription, row.id) is None


def test_this_device_is_the_sign_in_that_subscribed(member):
    here = sign_ins.do_start(member, second_factor=None)
    there = sign_ins.do_start(member, second_factor=None)
    mine = subscribe(member, f"{FCM}-here", sign_in_id=here.id, device_name="Here")
    subscribe(member, f"{FCM}-there", sign_in_id=there.id, device_name="There")
    devices = push_subscriptions.list_for(member, here.id)
    assert [(d.name, d.this_device) for d in devices] == [("Here", True), ("There", False)]
    # Logging out there ends that device's pushes only; a session ending by itself keeps them.
    assert push_subscriptions.remove_for_sign_in(there.id) == 1
    db.session.commit()
    sign_ins.do_end(member, here.id)
    db.session.expire_all()
    kept = db.session.get(PushSubscription, mine.id)
    assert kept is not None and kept.sign_in_id is None


def test_relinking_never_subscribes_a_browser_anew(member):
    b = browser()
    sign_in = sign_ins.do_start(member, second_factor=None)
    assert push_subscriptions.do_relink(member, endpoint=FCM, keys=b.keys,
                                        sign_in_id=sign_in.id) == (None, False)
    row = subscribe(member)
    found, changed = push_subscriptions.do_relink(member, endpoint=FCM, keys=b.keys,
                                                  sign_in_id=sign_in.id)
    assert found.id == row.id and changed and found.sign_in_id == sign_in.id


def test_switches_start_with_staff_kinds_and_meetings_on_and_replies_off(member):
    assert db.session.get(PushPreferences, member.id) is None
    subscribe(member)
    prefs = db.session.get(PushPreferences, member.id)
    assert (prefs.support_requests, prefs.urgent_items, prefs.meeting_reminders,
            prefs.thread_replies) == (True, True, True, False)
    push_subscriptions.set_preferences(member, {"thread_replies": True, "urgent_items": False,
                                                "unknown": True})
    db.session.expire_all()
    prefs = db.session.get(PushPreferences, member.id)
    assert prefs.thread_replies and not prefs.urgent_items and prefs.support_requests


def test_devices_are_in_the_export_and_go_with_the_account(member, second_member):
    subscribe(member, f"{FCM}-1", device_name="Work phone")
    subscribe(second_member, f"{FCM}-2", device_name="Their laptop")
    push_outbox.send_test(member)
    exported = privacy.export_account(member)
    assert [d["device_name"] for d in exported["push_devices"]] == ["Work phone"]
    assert exported["push_preferences"] == [{"support_requests": True, "urgent_items": True,
                                             "meeting_reminders": True,
                                             "thread_replies": False}]
    assert FCM not in str(exported)  # the endpoint is the push service's, not the member's
    member_id = member.id
    privacy.do_delete_account(member, keep_posts=False)
    db.session.expire_all()
    assert db.session.scalars(select(PushSubscription.user_id)).all() == [second_member.id]
    assert db.session.get(PushPreferences, member_id) is None
    assert db.session.scalar(select(func.count(PushMessage.id))) == 0


# --- the VAPID key ----------------------------------------------------------------------------

def test_the_key_is_made_once_in_the_instance_folder_readable_by_its_owner(tmp_path):
    key = push_keys.load_or_create(tmp_path)
    path = tmp_path / push_keys.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [push_keys.KEY_FILE]
    again = push_keys.load_or_create(tmp_path)
    numbers = key.private_numbers().private_value
    assert again.private_numbers().private_value == numbers


def test_a_process_that_loses_the_race_reads_the_winners_whole_key(tmp_path, monkeypatch):
    """Two processes start at once with no key: each writes its own beside the place, the
    link into place picks one, and the other reads that one, complete."""
    winner = push_keys.generate_pem()
    real_link = push_keys.os.link
    linked = []

    def link(source, target):
        # Ours is whole before it is linked; the other process's got there first.
        linked.append(push_keys._parse(Path(source).read_bytes()))
        Path(target).write_text(winner)
        return real_link(source, target)

    monkeypatch.setattr(push_keys.os, "link", link)
    key = push_keys.load_or_create(tmp_path)
    assert len(linked) == 1
    expected = serialization.load_pem_private_key(winner.encode(), None)
    assert key.private_numbers() == expected.private_numbers()
    assert [p.name for p in tmp_path.iterdir()] == [push_keys.KEY_FILE]  # nothing left over


def test_the_configured_key_is_used_and_its_public_half_given_to_browsers(app):
    configured = serialization.load_pem_private_key(local_push.VAPID_PEM.encode(), None)
    assert push_keys.private_key(app).private_numbers() == configured.private_numbers()
    raw = base64.urlsafe_b64decode(push_keys.public_key_b64(app) + "==")
    assert len(raw) == 65 and raw[0] == 4


def test_a_key_that_is_not_p256_is_refused(app_config):
    from cryptography.hazmat.primitives.asymmetric import ec

    from forum import create_app

    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    app = create_app(dict(app_config, VAPID_PRIVATE_KEY=other))
    with pytest.raises(RuntimeError, match="P-256"):
        push_keys.private_key(app)


@pytest.mark.parametrize(("config", "expected"), [
    ({"VAPID_SUBJECT": "mailto:team@forum.example.org"}, "mailto:team@forum.example.org"),
    ({"BASE_URL": "https://forum.example.org"}, "https://forum.example.org"),
    ({}, push_keys.DEVELOPMENT_SUBJECT),
])
def test_the_subject_names_the_operator(app, config, expected):
    app.config.update(config)
    assert push_keys.subject(app) == expected


def test_a_subject_that_is_neither_mailto_nor_https_is_refused(app):
    app.config["VAPID_SUBJECT"] = "http://forum.example.org"
    with pytest.raises(RuntimeError, match="FORUM_VAPID_SUBJECT"):
        push_keys.subject(app)
