"""The factory, configuration, health check, CLI and migrations."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from forum import create_app, migration_hooks
from forum.models import Board, Room, TrainingRecord, User
from forum.services.accounts import roles, two_factor
from tests.conftest import csrf_from, page_text


def test_models_and_migrations_agree(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": migration_hooks.include_object},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"run `flask --app forum db migrate`: {diff}"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert set(body["classifier"]) >= {"name", "ready"}
    assert body["rules"]["count"] > 0 and body["rules"]["version"]
    assert body["redis"] == ("ok" if os.environ.get("FORUM_TEST_REDIS_URL") else "not configured")


def test_healthz_reports_redis_without_failing_the_process(app, client):
    # Nothing listens on this port: Redis is reported as an error, the process keeps serving.
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"
    body = client.get("/healthz")
    assert body.status_code == 200
    assert body.get_json()["redis"] == "error"
    assert body.get_json()["status"] == "degraded"


def test_healthz_reports_a_working_redis(app, client):
    import redis

    # `make test` starts Redis (scripts/services.sh): a missing Redis fails here, never skips.
    url = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client_ = redis.Redis.from_url(url, socket_connect_timeout=1)
    assert client_.ping()
    client_.close()
    app.config["REDIS_URL"] = url
    assert client.get("/healthz").get_json()["redis"] == "ok"


def test_known_default_secret_key_refused_outside_tests(app_config):
    app_config.update(TESTING=False, SECRET_KEY="dev")
    with pytest.raises(RuntimeError, match="well-known default"):
        create_app(app_config)


def test_secret_key_generated_once_and_kept(app_config, tmp_path, monkeypatch):
    from forum import config

    app_config.update(TESTING=False, SECRET_KEY=None)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    first = create_app(app_config).config["SECRET_KEY"]
    second = create_app(app_config).config["SECRET_KEY"]
    assert first == second and len(first) >= 40


def test_configuration_from_environment(monkeypatch, app_config):
    monkeypatch.setenv("FORUM_LOGIN_RATE_LIMIT", "3 per minute")
    monkeypatch.setenv("FORUM_DATABASE_URL", "postgres://someone@db.invalid/forum")
    app_config.pop("SQLALCHEMY_DATABASE_URI")
    app = create_app(app_config)
    assert app.config["LOGIN_RATE_LIMIT"] == "3 per minute"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.invalid/forum"


def test_default_database_is_sqlite_under_instance(monkeypatch, app_config):
    monkeypatch.delenv("FORUM_DATABASE_URL", raising=False)
    app_config.pop("SQLALCHEMY_DATABASE_URI")
    app = create_app(app_config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/forum.sqlite3")


def test_seed_demo_once(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert db.session.scalar(select(db.func.count(Board.id))) >= 6
    assert db.session.scalar(select(db.func.count(Room.id))) >= 1
    again = runner.invoke(args=["seed-demo"])
    assert "already present" in again.output
    assert db.session.scalar(select(db.func.count(Board.id))) == 6


def test_demo_staff_sign_in_with_a_code_when_staff_need_a_second_factor(app, runner, db):
    app.config["STAFF_2FA"] = "required"
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rowan = db.session.scalar(select(User).where(User.pseudonym == "rowan-pine"))
    heron = db.session.scalar(select(User).where(User.pseudonym == "steady-heron"))
    assert two_factor.has_second_factor(rowan) and not two_factor.has_second_factor(heron)
    assert runner.invoke(args=["demo-code", "steady-heron"]).exit_code != 0
    code = runner.invoke(args=["demo-code", "rowan-pine"]).output.strip()
    assert code.isdigit() and len(code) == 6
    client = app.test_client()
    page = client.post("/login", data={"pseudonym": "rowan-pine",
                                       "password": app.config["DEMO_PASSWORD"],
                                       "csrf_token": csrf_from(client, "/login")})
    assert page.headers["Location"].endswith("/login/second-factor")
    token = csrf_from(client, "/login/second-factor")
    done = client.post("/login/second-factor", data={"code": code, "csrf_token": token})
    assert done.status_code == 302 and not done.headers["Location"].endswith("/login")
    assert client.get("/review").status_code == 200  # the moderator's role is open


def test_demo_staff_need_no_code_when_the_forum_does_not_ask_for_one(app, runner, db):
    app.config["STAFF_2FA"] = "optional"
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rowan = db.session.scalar(select(User).where(User.pseudonym == "rowan-pine"))
    assert not two_factor.has_second_factor(rowan)


def test_granting_a_staff_role_says_when_a_second_factor_is_missing(app, runner, db):
    app.config["STAFF_2FA"] = "required"
    runner.invoke(args=["create-admin", "kit-harbor", "--password-stdin"],
                  input="a very long admin password\n")
    result = runner.invoke(args=["grant", "kit-harbor", "moderator"])
    assert result.exit_code == 0 and "no second factor yet" in result.output
    app.config["STAFF_2FA"] = "optional"
    result = runner.invoke(args=["grant", "kit-harbor", "supervisor"])
    assert "second factor" not in result.output


def test_create_admin_grant_and_train(runner, db):
    result = runner.invoke(
        args=["create-admin", "kit-harbor", "--password-stdin"],
        input="a very long admin password\n",
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.pseudonym == "kit-harbor"))
    assert admin.has_role("admin")
    assert result.output.count("-") >= 8  # recovery codes shown to the operator

    weak = runner.invoke(args=["create-admin", "two-harbor", "--password-stdin"],
                         input="password\n")
    assert weak.exit_code != 0 and "10 characters" in weak.output
    # Operators follow the member's rule: the badge, not the name, says who is staff.
    named = runner.invoke(args=["create-admin", "admin-kit", "--password-stdin"],
                          input="a very long admin password\n")
    assert named.exit_code != 0 and "reserved" in named.output

    runner.invoke(
        args=["create-admin", "river-m", "--password-stdin"], input="another long password\n"
    )
    result = runner.invoke(args=["grant", "river-m", "facilitator"])
    assert result.exit_code == 0 and "now facilitator" in result.output
    assert runner.invoke(args=["grant", "river-m", "overlord"]).exit_code != 0
    assert runner.invoke(args=["grant", "nobody-here", "moderator"]).exit_code != 0

    result = runner.invoke(args=["train", "river-m", "crisis-response", "--expires", "2099-01-01"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.pseudonym == "river-m"))
    assert roles.has_current_training(user, "crisis-response")
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.user_id == user.id))
    assert record.expires_on.isoformat() == "2099-01-01"
    assert runner.invoke(args=["train", "river-m", "privacy", "--expires", "soon"]).exit_code != 0


def test_locale_from_account_then_browser(app, client, member, db):
    from flask_babel import get_locale

    with app.test_request_context(headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}):
        assert str(get_locale()) == "en"
    page = page_text(client.get("/", headers={"Accept-Language": "en-GB"}))
    assert '<html lang="en">' in page
