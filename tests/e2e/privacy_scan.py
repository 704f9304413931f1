"""Scans of a live forum's database and log for what must never be stored or logged, and of
Socket.IO payloads for account ids (no event or ack of /chat may carry one)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6_LOOPBACK = re.compile(r"(?<![0-9a-f:])::(?:ffff:)?1?(?![0-9a-f:])|::ffff:127", re.IGNORECASE)
USER_AGENT = re.compile(r"Mozilla/\d|HeadlessChrome|Chrome/\d|AppleWebKit|python-requests|"
                        r"Werkzeug/\d", re.IGNORECASE)


def assert_database_holds_no_address_or_agent(path, agents: set[str] = frozenset()) -> None:
    """No text cell of the SQLite database at `path` holds an IP address or a user agent."""
    connection = sqlite3.connect(path)
    try:
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        found, cells = [], 0
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if not isinstance(value, str):
                        continue
                    cells += 1
                    if (IPV4.search(value) or IPV6_LOOPBACK.search(value)
                            or USER_AGENT.search(value) or any(a in value for a in agents)):
                        found.append(f"{table}.{column}: {value[:80]!r}")
        assert cells > 100, "the scan read almost nothing"
        assert not found, found
        print(f"[privacy] database: tables={len(tables)} text cells={cells}, no address or agent")
    finally:
        connection.close()


def assert_log_holds_no_agent(path) -> None:
    """The server log names no browser (its start-up line names its own address, no one's)."""
    found = USER_AGENT.findall(path.read_text())
    assert not found, f"{path} holds user agents: {found[:5]}"


# Keys whose value names an account wherever they appear in a payload.
ACCOUNT_KEYS = frozenset({"user", "user_id", "users", "author_id", "account", "account_id",
                          "member_id", "host_id", "cohost_id", "actor_id", "skip_user"})
# Keys that carry other numbers (message ids, counts, seconds): an account id's value there
# is a coincidence, not a leak.
OTHER_NUMBERS = frozenset({"id", "message_id", "after_id", "count", "presence", "seconds",
                           "slow_mode", "retry_after", "minutes", "n"})


def account_ids_in(payload: Any, ids: Iterable[int], path: str = "$") -> list[str]:
    """Where a payload names an account: a key meaning an account, one of these account ids as
    a number under any other key, or an audience or text naming one (user-<id>)."""
    ids = {int(i) for i in ids}
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            where = f"{path}.{key}"
            if key in ACCOUNT_KEYS:
                found.append(f"{where}={value!r}")
            elif key in OTHER_NUMBERS and isinstance(value, int):
                continue
            else:
                found += account_ids_in(value, ids, where)
    elif isinstance(payload, list | tuple):
        for n, value in enumerate(payload):
            found += account_ids_in(value, ids, f"{path}[{n}]")
    elif isinstance(payload, int) and not isinstance(payload, bool):
        if payload in ids:
            found.append(f"{path}={payload}")
    elif isinstance(payload, str):
        if payload.strip() in {str(i) for i in ids} or any(
                re.search(rf"\buser-{i}\b", payload) for i in ids):
            found.append(f"{path}={payload[:40]!r}")
    return found


# A Socket.IO packet in an Engine.IO message frame: 4, the packet type (2 event, 3 ack), the
# namespace, the ack id, then the JSON arguments.
_PACKET = re.compile(r"^4([23])(?:(/[^,]*),)?(\d*)(.*)$", re.DOTALL)


def socketio_payloads(frames: Iterable[str]) -> list[tuple[str, str, Any]]:
    """(namespace, event name or "ack", arguments) of every event and ack in these frames."""
    got = []
    for frame in frames:
        match = _PACKET.match(frame)
        if match is None:
            continue
        try:
            data = json.loads(match.group(4))
        except ValueError:
            continue
        namespace = match.group(2) or "/"
        if match.group(1) == "2" and isinstance(data, list) and data and isinstance(data[0], str):
            got.append((namespace, data[0], data[1:]))
        else:
            got.append((namespace, "ack", data))
    return got
