#!/usr/bin/env bash
# Run the suite as five processes side by side, which share nothing (separate databases, Redis
# database numbers and ports): the database tests on SQLite; the same on PostgreSQL + Redis in
# two halves (the web tests, and the rest), each with its own database; the tests that need
# no test database (live servers and browsers, the moderation pipeline alone); and the fault
# tests, which stop private servers and mostly wait (tests/fixtures/faults.py). The processes
# often wait on the database server or a subprocess, so together they keep two cores busy to
# the end where one long PostgreSQL run left a core idle. Then show the logs in full.
set -u
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
started=$(date +%s)
pg_second=test_more
if [ -n "${CI:-}" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  psql -h 127.0.0.1 -U postgres -d test -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$pg_second'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $pg_second"
fi
declare -A pids
run() {  # name, then make's arguments
  local name=$1; shift
  make --no-print-directory "$@" > "test-artifacts/suite-$name.log" 2>&1 &
  pids[$name]=$!
}
run sqlite-db test-sqlite-db
run postgres-web test-postgres PG_TEST_PATHS=tests/web
run postgres-rest test-postgres PG_TEST_PATHS="tests --ignore=tests/web" \
  PG_TEST_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$pg_second \
  REDIS_TEST_URL=redis://127.0.0.1:6379/12
run live test-live
run faults test-faults
names="sqlite-db postgres-web postgres-rest live faults"
failed=""
for name in $names; do
  wait "${pids[$name]}" || failed="$failed $name"
done
for name in $names; do
  cat "test-artifacts/suite-$name.log"
done
echo "the suites took $(( $(date +%s) - started )) s${failed:+; failed:$failed}"
[ -z "$failed" ]
