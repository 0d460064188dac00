# Couplet: `make run` sets up and starts the bot; `make test` sets up and runs every test;
# `make test-fast` leaves out PostgreSQL, the bot as a subprocess and the long randomised runs.
# Every third-party package comes from a lock with hashes: requirements.lock for `make run`,
# requirements-dev.lock for `make test` (see scripts/lock.py); `make lock` regenerates them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The venv's own pip (bundled with Python) installs the locks and is not upgraded: with every
# version pinned and hashed it has nothing to choose, and an upgrade would be the one download
# no hash covers.
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# The project itself, from the working tree, built by the locked setuptools. setuptools says
# "Editable installation." as a warning that pip shows even with --quiet: only that is hidden.
INSTALL_SELF := PYTHONWARNINGS="ignore:Editable installation" \
	$(PIP) install --quiet --no-deps --no-build-isolation -e .

.PHONY: run demo migrate test test-fast lint lock lock-upgrade check-lock check-migrations clean \
	translations

run: $(VENV)/.installed
	$(BIN)/python -m bot

# The playground: the fake Bot API, the real bot polling it on a fresh SQLite file and a page
# with two phones, all on 127.0.0.1 (no token, no network); Ctrl-C stops all of it.
# DEMO_PORT=0 takes a free port.
DEMO_PORT ?= 8765
demo: $(VENV)/.installed
	$(BIN)/python -m fakegram.playground --port $(DEMO_PORT)

migrate: $(VENV)/.installed
	$(BIN)/python -m bot migrate

test: check-lock check-migrations
	$(BIN)/ruff check .
	$(BIN)/pytest

# The quick loop while coding (under a minute): no PostgreSQL, no e2e suite, no soak runs
# (pytest markers `postgresql`, `e2e`, `soak`: see tests/conftest.py, tests/e2e/conftest.py).
# CI runs `make test`, which runs everything.
test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not e2e and not postgresql and not soak"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Fails when pyproject.toml asks for something the locks don't satisfy (offline: no
# re-resolution, so a new release on the index never fails it).
check-lock: $(VENV)/.installed-dev
	$(BIN)/python scripts/lock.py check

# The models and the migrations agree: a throwaway SQLite database upgraded to head, then
# `alembic check` (fails when autogenerate would write a migration).
check-migrations: $(VENV)/.installed-dev
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export DATABASE_URL="sqlite:///$$tmp/check.sqlite3" && \
	$(BIN)/alembic upgrade head && $(BIN)/alembic check

# Regenerate both locks after a change to pyproject.toml, keeping every pin that still fits;
# `make lock-upgrade` moves every pin to the newest release instead.
lock: $(VENV)/.installed-dev
	$(BIN)/python scripts/lock.py compile

lock-upgrade: $(VENV)/.installed-dev
	$(BIN)/python scripts/lock.py compile --upgrade

# The catalogs of the bot's texts (bot/locale, see bot/i18n.py): extract every `_`/`_n` of
# bot/ into the template couplet.pot, then bring each language's couplet.po up to it (new
# or changed texts come in empty, never a guessed fuzzy match; until each is translated the
# language is not offered and tests/i18n/test_complete.py fails). Compiled at start, in
# memory: no .mo files.
# A new language: `$(BIN)/pybabel init -D couplet -i bot/locale/couplet.pot -d bot/locale -l xx`
# (see README).
translations: $(VENV)/.installed-dev
	$(BIN)/pybabel extract --no-location --sort-output --omit-header -F babel.cfg \
		-k _ -k _n:1,2 -c i18n: -o bot/locale/couplet.pot bot
	test -z "$(wildcard bot/locale/*/LC_MESSAGES/couplet.po)" || $(BIN)/pybabel update \
		-D couplet -i bot/locale/couplet.pot -d bot/locale --ignore-obsolete \
		--no-fuzzy-matching

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements.lock
	$(INSTALL_SELF)
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	$(INSTALL_SELF)
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
