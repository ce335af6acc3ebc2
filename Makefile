# Fresh machine: `make demo` runs the live demo on embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv demo test test-deps lint format bench migrate check-timeseries clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@command -v $(PY) >/dev/null || { echo "$(PY) not found: install Python 3.11"; exit 1; }
	$(call apt_need,$(PY) -c "import ensurepip",$(PY)-venv)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

# The live demo on embedded defaults: SQLite, the SQL time-series store, tasks in-process.
demo: venv
	env -u DATABASE_URL -u INFLUXDB_URL -u CELERY_BROKER_URL $(BIN)/python manage.py migrate --noinput
	env -u DATABASE_URL -u INFLUXDB_URL -u CELERY_BROKER_URL $(BIN)/python manage.py demo --host $(HOST) --port $(PORT)

# $(call apt_need,CHECK,PACKAGES): when the shell command CHECK fails, install the Debian
# PACKAGES with apt-get if running as root, else stop with the command that installs them.
define apt_need
	@if ! $(1) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "missing: $(2); install with: sudo apt-get install -y $(2)" >&2; exit 1; fi; \
	  echo "== apt-get install -y $(2)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2); fi
endef

# What the suite needs from Debian. The fixtures start their own influxd on a free port; one
# the package may start is never used.
test-deps:
	$(call apt_need,command -v influxd,influxdb)

# The whole suite. CI sets DATABASE_URL (PostgreSQL) and REDIS_URL; the fixtures start influxd.
test: venv test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python benchmarks/run_all.py

check-timeseries: venv
	$(BIN)/python manage.py check_timeseries

clean:
	rm -rf var .ruff_cache .hypothesis
