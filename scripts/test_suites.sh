#!/usr/bin/env bash
# Run the SQLite and the PostgreSQL + Redis suites side by side (they share nothing: separate
# databases and Redis database numbers), one per core, then show both logs in full.
set -u
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
started=$(date +%s)
make --no-print-directory test-sqlite > test-artifacts/suite-sqlite.log 2>&1 &
sqlite_pid=$!
make --no-print-directory test-postgres > test-artifacts/suite-postgres.log 2>&1 &
postgres_pid=$!
wait "$sqlite_pid"; sqlite_rc=$?
wait "$postgres_pid"; postgres_rc=$?
cat test-artifacts/suite-sqlite.log
cat test-artifacts/suite-postgres.log
echo "both suites took $(( $(date +%s) - started )) s (SQLite exit $sqlite_rc, PostgreSQL exit $postgres_rc)"
[ "$sqlite_rc" -eq 0 ] && [ "$postgres_rc" -eq 0 ]
