"""Signing in and privacy: the export holds the account's sign-ins and a summary of its second
factors, never a secret, a hash or a credential id; deleting the account takes every row of
theirs with it; no table, the new ones included, holds an address or a user agent."""

from __future__ import annotations

import json

import pyotp
from sqlalchemy import func, inspect, select

from forum.extensions import db
from forum.models import (
    BackupCode,
    PasskeyCredential,
    RememberToken,
    SignIn,
    TotpFactor,
    User,
)
from forum.realtime import sign_in_ends
from forum.services.accounts import privacy, remember_tokens, sign_ins, two_factor
from tests.conftest import PASSWORD, csrf_from, login

SIGN_IN_TABLES = {"sign_ins", "totp_factors", "passkey_credentials", "backup_codes",
                  "remember_tokens"}
PROBE_IP = "198.51.100.23"
PROBE_UA = "ProbeAgent/3.3 (signing-in-device-string)"
CREDENTIAL_ID = b"\x01\x02credential-id-bytes\xfe"
PUBLIC_KEY = b"\xa5\x01public-key-bytes\x02"


def _enrol(user: User) -> tuple[str, list[str]]:
    """An authenticator app and its backup codes (outside a sign-in: no step-up asked)."""
    secret = two_factor.do_begin_totp(user).secret
    codes = two_factor.check_confirm_totp(user, pyotp.TOTP(secret).now())
    return secret, codes


def _passkey(user: User, name: str = "Blue key") -> PasskeyCredential:
    key = PasskeyCredential(user_id=user.id, credential_id=CREDENTIAL_ID + bytes([user.id]),
                            public_key=PUBLIC_KEY, sign_count=3, name=name)
    db.session.add(key)
    db.session.commit()
    return key


def test_the_export_lists_sign_ins_and_second_factors_without_secrets(app, member):
    client = app.test_client()
    login(client, member)
    with client.session_transaction() as session:
        sign_in_id = session["sign_in"]
    sign_ins.rename(member, sign_in_id, "Kitchen tablet")
    secret, codes = _enrol(member)
    _passkey(member)
    assert two_factor.verify_backup_code(member, codes[0])
    db.session.commit()

    data = privacy.export_account(member)
    row = db.session.get(SignIn, sign_in_id)
    assert data["sign_ins"] == [{
        "created_at": row.created_at.isoformat(), "last_seen_at": row.last_seen_at.isoformat(),
        "device_name": "Kitchen tablet", "second_factor": row.second_factor}]
    factors = data["second_factors"]
    assert factors["authenticator_app"] is True and factors["authenticator_app_added_at"]
    assert [(k["name"], k["last_used_at"]) for k in factors["passkeys"]] == [("Blue key", None)]
    assert factors["passkeys"][0]["created_at"]
    assert factors["backup_codes_left"] == 9

    blob = json.dumps(data)
    totp = db.session.scalar(select(TotpFactor))
    assert secret not in blob and totp.secret_sealed not in blob
    assert not any(code in blob for code in codes)
    assert "argon2" not in blob  # no code hash
    for raw in (CREDENTIAL_ID, PUBLIC_KEY):
        assert raw.hex() not in blob and "credential-id" not in blob and "public-key" not in blob
    assert "last_step" not in blob and "sign_count" not in blob


def test_the_export_of_an_account_without_factors(app, member):
    factors = privacy.export_account(member)["second_factors"]
    assert factors == {"authenticator_app": False, "authenticator_app_added_at": None,
                       "passkeys": [], "backup_codes_left": 0}


def test_an_unconfirmed_app_is_not_exported_as_on(app, member):
    two_factor.do_begin_totp(member)
    assert privacy.export_account(member)["second_factors"]["authenticator_app"] is False


def _rows(model, user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.user_id == user_id))


def test_deleting_an_account_removes_its_sign_in_rows_only(app, member, second_member,
                                                           monkeypatch):
    closed: list[list[int]] = []
    monkeypatch.setattr(sign_in_ends, "disconnect_here", lambda ids: closed.append(list(ids)))
    people = (member, second_member)
    for user in people:
        # Factors first: enrolling signs out browsers that had the password alone.
        _enrol(user)
        _passkey(user)
        for _ in range(2):
            row = sign_ins.do_start(user, second_factor="totp")
        remember_tokens.do_issue(user, row.id)
    member_id, other_id = member.id, second_member.id
    models = (SignIn, TotpFactor, PasskeyCredential, BackupCode, RememberToken)
    assert all(_rows(model, member_id) for model in models)
    member_sign_ins = sorted(db.session.scalars(
        select(SignIn.id).where(SignIn.user_id == member_id)))

    privacy.do_delete_account(member, keep_posts=False)
    db.session.expire_all()
    assert db.session.get(User, member_id) is None
    assert [_rows(model, member_id) for model in models] == [0, 0, 0, 0, 0]
    assert [_rows(model, other_id) for model in models] == [2, 1, 1, 10, 1]
    # Its open connections were told to close at once.
    assert [sorted(ids) for ids in closed] == [member_sign_ins]


def test_the_privacy_scans_cover_the_sign_in_tables(app):
    # tests/web/test_privacy.py scans every table of both lists: the new ones must be there.
    assert SIGN_IN_TABLES <= set(inspect(db.engine).get_table_names())
    assert SIGN_IN_TABLES <= {table.name for table in db.metadata.sorted_tables}
    forbidden = ("ip", "address", "user_agent", "useragent", "email", "phone", "agent", "host")
    for table in SIGN_IN_TABLES:
        for column in inspect(db.engine).get_columns(table):
            words = column["name"].lower().split("_")
            assert not any(word in words for word in forbidden), f"{table}.{column['name']}"


def test_no_row_of_the_sign_in_tables_holds_an_address_or_agent(app, member):
    env = {"REMOTE_ADDR": PROBE_IP, "HTTP_USER_AGENT": PROBE_UA}
    client = app.test_client()
    client.post("/login", environ_base=env, data={
        "pseudonym": member.pseudonym, "password": PASSWORD, "remember": "y",
        "csrf_token": csrf_from(client, "/login")})
    with client.session_transaction() as session:
        sign_in_id = session["sign_in"]
    client.post(f"/account/sessions/{sign_in_id}/rename", environ_base=env, data={
        "name": "Phone", "csrf_token": csrf_from(client, "/account/sessions")})
    secret, _codes = _enrol(member)
    _passkey(member)
    # And a sign-in with the second factor, from the same address and browser.
    other = app.test_client()
    other.post("/login", environ_base=env, data={
        "pseudonym": member.pseudonym, "password": PASSWORD,
        "csrf_token": csrf_from(other, "/login")})
    answer = other.post("/login/second-factor", environ_base=env, data={
        "code": _next_code(secret),
        "csrf_token": csrf_from(other, "/login/second-factor")})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    with other.session_transaction() as session:
        assert db.session.get(SignIn, session["sign_in"]).second_factor == "totp"
    values = []
    for table in db.metadata.sorted_tables:
        if table.name in SIGN_IN_TABLES:
            for row in db.session.execute(select(table)).all():
                values.extend(v.hex() if isinstance(v, bytes) else str(v)
                              for v in row if v is not None)
    assert len(values) > 20  # the scan sees the rows
    text = "\n".join(values)
    assert "198.51.100" not in text and "ProbeAgent" not in text
    assert PROBE_IP.encode().hex() not in text and b"ProbeAgent".hex() not in text


def _next_code(secret: str) -> str:
    """A code the app shows after the one enrolment spent (codes work once per step)."""
    totp = pyotp.TOTP(secret)
    row = db.session.scalar(select(TotpFactor))
    return totp.generate_otp(row.last_step + 1)
