# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
export PORTAL_CHROMIUM ?= /usr/bin/chromium

.PHONY: install translations run test test-browser test-sqlite test-postgres test-shifted faketime lint browsers clean-db bench resilience

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

# Four passes on two cores: two lanes each take the next pass from one queue when they are free, longest first
# (PostgreSQL, the browser tests, the rest on SQLite, the shifted pass), so neither core waits for the other.
#   test-browser:  the browser tests (marker e2e) on SQLite;
#   test-sqlite:   everything else on SQLite;
#   test-postgres: on PostgreSQL (when PORTAL_TEST_POSTGRES_URL is set), all but the pure domain tests, which touch
#                  no database, the page sweeps (marker page_sweep) and the browser tests but a few journeys (marker
#                  both_databases): what a browser shows does not depend on the database, and every service the
#                  journeys drive is tested on both through the test client; no screenshots;
#   test-shifted:  the time-sensitive folders with the whole process's clock moved ahead of the business date
#                  (faketime, so a test that passes only on the day it was written fails CI that day).
# Each pass writes test-artifacts/<pass>.log, shown at the end.
PASSES := postgres browser sqlite shifted
test: install browsers faketime translations lint
	@mkdir -p test-artifacts; rm -f test-artifacts/*.exit; \
	queue=test-artifacts/.queue; \
	for name in $(PASSES); do \
	  [ $$name != postgres ] || [ -n "$$PORTAL_TEST_POSTGRES_URL" ] && echo $$name; \
	done > $$queue; \
	echo "== passes on two lanes: $$(echo $$(cat $$queue)) =="; \
	lane() { \
	  while name=$$(flock $$queue.lock sh -c 'n=$$(head -n1 "$$1"); [ -n "$$n" ] && sed -i 1d "$$1" && echo "$$n"' _ $$queue); do \
	    start=$$(date +%s); $(MAKE) --no-print-directory test-$$name > test-artifacts/$$name.log 2>&1; \
	    echo "$$? $$(( $$(date +%s) - start ))" > test-artifacts/$$name.exit; \
	  done; }; \
	lane & lane & wait; status=0; \
	for name in $(PASSES); do \
	  [ -f test-artifacts/$$name.exit ] || continue; \
	  echo "== $$name =="; cat test-artifacts/$$name.log; \
	done; \
	for name in $(PASSES); do \
	  [ -f test-artifacts/$$name.exit ] || continue; read code seconds < test-artifacts/$$name.exit; \
	  echo "$$name pass: exit $$code, $${seconds}s"; [ "$$code" -eq 0 ] || status=1; \
	done; \
	exit $$status

test-browser: install browsers
	$(BIN)/python -m pytest -m e2e

test-sqlite: install
	$(BIN)/python -m pytest -m "not e2e"

test-postgres: install
	@test -n "$$PORTAL_TEST_POSTGRES_URL" || { echo "PORTAL_TEST_POSTGRES_URL is not set" >&2; exit 1; }
	PORTAL_TEST_DATABASE_URL="$$PORTAL_TEST_POSTGRES_URL" PORTAL_TEST_SCREENSHOTS=0 $(BIN)/python -m pytest \
	  -m "not domain and not page_sweep and (not e2e or both_databases)"

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

# Faults under load (not part of `make test`): two app servers in network namespaces behind haproxy, one killed,
# PostgreSQL restarted; see README "Resilience". Needs root and the local PostgreSQL (which it restarts once).
resilience:
	@test -x $(BIN)/python || $(MAKE) --no-print-directory install
	@command -v haproxy >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq haproxy || (apt-get update -qq && apt-get install -y -qq haproxy)) >/dev/null; \
	  else echo "haproxy is needed for resilience: apt-get install haproxy" >&2; exit 1; fi; }
	@$(BIN)/python -c "import requests" 2>/dev/null || $(BIN)/python -m pip install --quiet requests
	PORTAL_ENV=development $(FLASK) i18n compile
	$(BIN)/python tests/resilience/run.py

clean-db:
	rm -f instance/portal.sqlite3 instance/portal.sqlite3-wal instance/portal.sqlite3-shm instance/audit-checkpoints.jsonl
