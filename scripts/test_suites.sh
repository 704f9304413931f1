#!/usr/bin/env bash
# Run the suite as three processes side by side, which share nothing (separate databases, Redis
# database numbers and ports): the database tests on SQLite, the same on PostgreSQL + Redis, and
# the tests that need no test database (live servers and browsers, the moderation pipeline
# alone). The third often waits on its subprocesses, so three keep two cores busy where two
# left one idle. Then show the three logs in full.
set -u
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
started=$(date +%s)
declare -A pids
for suite in sqlite-db postgres live; do
  make --no-print-directory "test-$suite" > "test-artifacts/suite-$suite.log" 2>&1 &
  pids[$suite]=$!
done
failed=""
for suite in sqlite-db postgres live; do
  wait "${pids[$suite]}" || failed="$failed $suite"
done
for suite in sqlite-db postgres live; do
  cat "test-artifacts/suite-$suite.log"
done
echo "the suites took $(( $(date +%s) - started )) s${failed:+; failed:$failed}"
[ -z "$failed" ]
