# Two commands do everything: `make run` and `make test`. See README.md.
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

# With PostgreSQL too, the two passes run side by side (one per core); PostgreSQL's output follows SQLite's.
# The PostgreSQL pass leaves out the pure domain tests, which touch no database, and the page sweeps (marker
# page_sweep), whose findings do not depend on the database: they run once, on SQLite.
# After the SQLite pass, the time-sensitive folders run again with the whole process's clock moved ahead of the
# business date (faketime), so a test that passes only on the day it was written fails CI that day.
test: install browsers faketime translations lint
	@if [ -n "$$PORTAL_TEST_POSTGRES_URL" ]; then \
	  mkdir -p test-artifacts; \
	  PORTAL_TEST_DATABASE_URL="$$PORTAL_TEST_POSTGRES_URL" $(BIN)/python -m pytest -p no:cacheprovider \
	    -m "not domain and not page_sweep" > test-artifacts/postgres.log 2>&1 & postgres_pid=$$!; \
	  echo "== SQLite (PostgreSQL runs alongside: test-artifacts/postgres.log) =="; \
	  $(BIN)/python -m pytest; sqlite=$$?; \
	  $(MAKE) --no-print-directory test-shifted; shifted=$$?; \
	  wait $$postgres_pid; postgres=$$?; \
	  echo "== PostgreSQL =="; cat test-artifacts/postgres.log; \
	  echo "SQLite pass: exit $$sqlite; clock moved $(SHIFT): exit $$shifted; PostgreSQL pass: exit $$postgres"; \
	  test $$sqlite -eq 0 && test $$shifted -eq 0 && test $$postgres -eq 0; \
	else \
	  $(BIN)/python -m pytest && $(MAKE) --no-print-directory test-shifted; \
	fi

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
	rm -f instance/portal.sqlite3 instance/portal.sqlite3-wal instance/portal.sqlite3-shm
