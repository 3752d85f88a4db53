# The two commands: `make run` (set up and serve with content and demo accounts on SQLite)
# and `make test` (set up, lint and run every test). Everything else is a helper of these two.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
LOCK   := requirements.lock
# `make test PG=postgresql+psycopg://user:pass@host/db`: the same tests on that PostgreSQL database, without
# the browser journeys (they run once, on SQLite)
PG     ?=

.PHONY: run test test-quick setup setup-test browser translations lint lock clean

# the versions CI tested (requirements.lock), then the app itself without resolving anything again
$(BIN)/lms: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(BIN)/lms

setup: $(BIN)/lms

run: setup node_modules/.installed
	$(BIN)/lms init
	$(BIN)/lms load
	$(BIN)/lms demo
	$(BIN)/lms serve --host $(HOST) --port $(PORT)

# npm packages: the CJK font of certificate PDFs (run time) and the test tools (axe-core, the
# independent credential verifier)
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# Chromium comes from Debian (never from a download step); installed here when run as root.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else echo "note: /usr/bin/chromium is missing, browser journeys will be skipped (sudo apt-get install chromium)"; fi; \
	fi

setup-test: setup node_modules/.installed browser

test: setup-test lint
ifeq ($(PG),)
	$(BIN)/pytest tests
else
	LMS_TEST_DATABASE_URL='$(PG)' $(BIN)/pytest -m "not e2e" tests
endif

# the fast lane for development: every test but the browser journeys, on in-memory SQLite
test-quick: setup
	env -u LMS_TEST_DATABASE_URL $(BIN)/pytest -m "not e2e" -q tests

translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lms/translations/messages.pot . --no-location --sort-output
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d lms/translations

lint: setup
	$(BIN)/ruff check lms tests

# requirements.lock from pyproject.toml (the app and its test extras): keeps the pinned versions that still fit
# and pins what was added; `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest release
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
	  $(LOCK_FLAGS) -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-results
