# Two commands matter: `make run` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app forum
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Its own Redis database: the SQLite run's Redis tests use 15 (and flush it) at the same time.
REDIS_TEST_URL ?= redis://127.0.0.1:6379/13
# Which tests test-postgres runs (`make test` splits them in two, each half with its own
# database and Redis database).
PG_TEST_PATHS ?= tests

.PHONY: setup run serve test test-sqlite test-sqlite-db test-live test-faults test-postgres services browser lint bench soak messages \
	translations clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	# torch first and pinned: the CPU build on this disk, never a multi-GB GPU build.
	$(PY) -m pip install --quiet 'torch==2.13.0'
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	HOST=$(HOST) PORT=$(PORT) $(PY) -m forum

# Production-style: one gunicorn process (gthread + simple-websocket) on HOST:PORT. Run one such
# command per process, each on its own port, with FORUM_DATABASE_URL and FORUM_REDIS_URL shared.
serve: setup
	$(FLASK) db upgrade
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/gunicorn -c python:forum.gunicorn_conf

services:
	@bash scripts/services.sh

browser:
	@bash scripts/browser.sh

test: setup services browser
	$(MAKE) --no-print-directory lint
	@bash scripts/test_suites.sh

# The whole suite on SQLite, in one process.
test-sqlite: setup
	@echo "== test suite on SQLite =="
	$(PY) -m pytest -q -p no:cacheprovider

# `make test` runs the suite as processes side by side (scripts/test_suites.sh): the database
# tests on SQLite, the same on PostgreSQL + Redis, the tests that need no test database (live
# servers, browsers, the moderation pipeline alone), and the fault tests, which mostly wait
# while a private server is down.
test-sqlite-db: setup
	@echo "== database tests on SQLite =="
	$(PY) -m pytest -q -p no:cacheprovider -m 'not live and not dbfree and not faults'

test-live: setup
	@echo "== live servers, browsers and the pipeline alone =="
	$(PY) -m pytest -q -p no:cacheprovider -m '(live or dbfree) and not faults'

# Private PostgreSQL and Redis servers stopped and killed on purpose (tests/fixtures/faults.py).
test-faults: setup
	@echo "== faults: outages, restarts, concurrent writers, backups =="
	$(PY) -m pytest -q -p no:cacheprovider -m faults

test-postgres: setup
	@if [ -n "$$CI" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "== test suite on PostgreSQL + Redis (rate limits, presence) =="; \
	  FORUM_TEST_DATABASE_URL=$(PG_TEST_URL) FORUM_TEST_REDIS_URL=$(REDIS_TEST_URL) \
	    $(PY) -m pytest -q -p no:cacheprovider -m 'not live and not dbfree and not faults' \
	      $(PG_TEST_PATHS); \
	else \
	  echo "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run is left out."; \
	fi

lint: setup
	$(VENV)/bin/ruff check forum tests bench

# Every benchmark runs and records its results even when an earlier one misses a target;
# the target fails at the end if any did.
BENCHES := screen_bench pages_bench queue_bench classifier_memory chat_bench chat_bench_redis

bench: setup services
	@failed=""; for b in $(BENCHES); do \
	  echo "== bench/$$b.py"; $(PY) bench/$$b.py || failed="$$failed $$b"; \
	done; if [ -n "$$failed" ]; then echo "missed a target:$$failed"; exit 1; fi

# 30 minutes of chat and page traffic on two processes, a figure a minute (bench/soak.py,
# `--minutes N` to shorten): not part of `make bench`.
soak: setup services
	$(PY) bench/soak.py

# Collect every user-facing string for translators (English is the source language).
messages: setup
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o forum/translations/messages.pot .

# After `make messages`: merge the new strings into each language's .po, translate them there,
# then compile. The compiled .mo files are committed, so a fresh clone serves every language;
# tests/web/test_i18n.py fails while a .mo is older than its .po or a member-facing string
# lacks a translation.
translations: setup
	$(VENV)/bin/pybabel update -i forum/translations/messages.pot -d forum/translations -w 100
	$(VENV)/bin/pybabel compile -d forum/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
