# The two commands: `make run` (set up and serve with content and demo accounts on SQLite)
# and `make test` (set up and run every test). Everything else is a helper of these two.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup setup-test browser translations lint clean

$(BIN)/lms: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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

test: setup-test
	$(BIN)/pytest tests

translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lms/translations/messages.pot . --no-location --sort-output
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d lms/translations

lint: setup
	$(BIN)/ruff check lms tests

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-results
