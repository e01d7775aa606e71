# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
export PORTAL_CHROMIUM ?= /usr/bin/chromium

.PHONY: install translations run test test-shifted faketime lint browsers clean-db bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

translations: install
	PORTAL_ENV=development $(FLASK) i18n compile

run: install translations
	PORTAL_ENV=development $(FLASK) db upgrade
	PORTAL_ENV=development $(FLASK) demo --if-empty
	PORTAL_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

# Chromium for the browser tests: Debian's package when we can install it, else Playwright's own download.
browsers:
	@if [ -x "$(PORTAL_CHROMIUM)" ] && fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
	  echo "Chromium: $(PORTAL_CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -qq chromium fonts-noto-cjk || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk)) >/dev/null; \
	else \
	  $(BIN)/python -m playwright install chromium; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r portal
	PORTAL_ENV=development $(FLASK) i18n check

# Four passes in two lanes, one per core, balanced by their measured times:
#   browser lane: the browser tests on SQLite (marker e2e), then the shifted pass;
#   other lane:   the PostgreSQL pass, then everything but the browser tests on SQLite.
# The shifted pass runs the time-sensitive folders with the whole process's clock moved ahead of the business date
# (faketime, so a test that passes only on the day it was written fails CI that day).
# The PostgreSQL pass leaves out the pure domain tests, which touch no database, the page sweeps (marker
# page_sweep) and the browser tests but a few journeys (marker both_databases): what a browser shows does not
# depend on the database, and every service the journeys drive is tested on both through the test client. It
# takes no screenshots (PORTAL_TEST_SCREENSHOTS=0). Each pass writes test-artifacts/<pass>.log, shown at the end.
PASSES := browser shifted postgres sqlite
test: install browsers faketime translations lint
	@mkdir -p test-artifacts; \
	pass() { name=$$1; shift; start=$$(date +%s); "$$@" > test-artifacts/$$name.log 2>&1; \
	  echo "$$? $$(( $$(date +%s) - start ))" > test-artifacts/$$name.exit; }; \
	rm -f test-artifacts/*.exit; \
	echo "== two lanes: browser tests on SQLite, then the clock moved $(SHIFT); $${PORTAL_TEST_POSTGRES_URL:+PostgreSQL, then }the rest on SQLite =="; \
	( pass browser $(BIN)/python -m pytest -m e2e; \
	  pass shifted $(MAKE) --no-print-directory test-shifted ) & \
	( if [ -n "$$PORTAL_TEST_POSTGRES_URL" ]; then \
	    PORTAL_TEST_DATABASE_URL="$$PORTAL_TEST_POSTGRES_URL" PORTAL_TEST_SCREENSHOTS=0 pass postgres $(BIN)/python -m pytest \
	      -m "not domain and not page_sweep and (not e2e or both_databases)"; \
	  fi; \
	  pass sqlite $(BIN)/python -m pytest -m "not e2e" ) & \
	wait; status=0; \
	for name in $(PASSES); do \
	  [ -f test-artifacts/$$name.exit ] || continue; \
	  echo "== $$name =="; cat test-artifacts/$$name.log; \
	done; \
	for name in $(PASSES); do \
	  [ -f test-artifacts/$$name.exit ] || continue; read code seconds < test-artifacts/$$name.exit; \
	  echo "$$name pass: exit $$code, $${seconds}s"; [ "$$code" -eq 0 ] || status=1; \
	done; \
	exit $$status

# The time-sensitive folders with the process clock moved SHIFT ahead (try +7d, +45d, +400d); SQLite.
SHIFT ?= +400d
TIME_SENSITIVE := tests/clock tests/applications tests/staff tests/agents tests/auth tests/borrower tests/loans
test-shifted: install faketime
	@echo "== SQLite, clock moved $(SHIFT) (faketime) =="
	FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '$(SHIFT)' $(BIN)/python -m pytest $(TIME_SENSITIVE)

# faketime (Debian's package) moves the clock of a whole process for test-shifted.
faketime:
	@command -v faketime >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq faketime || (apt-get update -qq && apt-get install -y -qq faketime)) >/dev/null; \
	  else echo "faketime is needed for test-shifted: apt-get install faketime" >&2; exit 1; fi; }

# Load and size benchmark (not part of `make test`): see README "Performance". BENCH_SCALE=0.05 for a quick try.
bench: install browsers translations
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	BENCH_SCALE=$(or $(BENCH_SCALE),1) $(BIN)/python tests/bench/run.py

clean-db:
	rm -f instance/portal.sqlite3 instance/portal.sqlite3-wal instance/portal.sqlite3-shm instance/audit-checkpoints.jsonl
