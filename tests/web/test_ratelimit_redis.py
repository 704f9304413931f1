"""With FORUM_REDIS_URL set, rate limits are shared by every process through Redis."""

from __future__ import annotations

import os

import pytest

from forum import create_app
from forum.extensions import limiter
from tests.conftest import csrf_from

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="Redis not running"),
]


def test_login_limit_is_shared_across_processes_through_redis(app_config, member):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    app_config.update(REDIS_URL=REDIS_URL, RATELIMIT_STORAGE_URI=REDIS_URL)
    first, second = create_app(app_config), create_app(app_config)
    assert "redis" in type(limiter.storage).__name__.lower()

    def attempt(app) -> int:
        client = app.test_client()
        return client.post("/login", data={
            "pseudonym": member.pseudonym, "password": "wrong password 123",
            "csrf_token": csrf_from(client, "/login"),
        }).status_code

    # Wrong passwords for one pseudonym from one address: the pair waits after five, in
    # whichever process the next try lands (services/accounts/login_throttle.py).
    statuses = [attempt(first if i % 2 else second) for i in range(6)]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    keys = redis.Redis.from_url(REDIS_URL).keys("*")
    assert keys
    assert not any(b"127.0.0.1" in key or member.pseudonym.encode() in key for key in keys)
    redis.Redis.from_url(REDIS_URL).flushdb()
