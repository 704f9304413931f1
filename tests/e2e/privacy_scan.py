"""Scans of a live forum's database and log for what must never be stored or logged."""

from __future__ import annotations

import re
import sqlite3

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
