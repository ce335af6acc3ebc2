# Fresh machine: `make demo` runs the live demo on embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv frontend frontend-test demo test test-deps lint format bench migrate check-timeseries clean openapi openapi-check e2e e2e-smoke

# The dashboard (frontend/): npm ci when the lock file changed, a build when a source changed.
NODE_STAMP := frontend/node_modules/.package-lock.json
FRONTEND_SRC := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html \
	frontend/vite.config.ts frontend/tsconfig.json frontend/package.json

venv: $(STAMP)

$(STAMP): requirements.txt
	@command -v $(PY) >/dev/null || { echo "$(PY) not found: install Python 3.11"; exit 1; }
	$(call apt_need,$(PY) -c "import ensurepip",$(PY)-venv)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

$(NODE_STAMP): frontend/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20.19+ with npm"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

frontend/dist/index.html: $(NODE_STAMP) $(FRONTEND_SRC)
	cd frontend && npm run build

frontend: frontend/dist/index.html

# Component and formatting tests (Vitest + Testing Library).
frontend-test: $(NODE_STAMP)
	cd frontend && npx vitest run

migrate: venv
	$(BIN)/python manage.py migrate --noinput

# The live demo on embedded defaults: SQLite, the SQL time-series store, tasks in-process.
demo: venv frontend
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
	$(call apt_need,command -v chromium,chromium)
	$(call apt_need,command -v systemd-analyze,systemd)
	$(call apt_need,command -v rsync,rsync)
	$(call apt_need,command -v redis-server,redis-server)

# The whole suite. CI sets DATABASE_URL (PostgreSQL) and REDIS_URL; the fixtures start influxd.
# The browser tests (tests/frontend/test_dashboard_browser.py) drive /usr/bin/chromium.
# Two pytest workers (pytest-xdist): each has its own test database, influxd and Celery queues.
PYTEST_WORKERS ?= 2
test: venv test-deps frontend frontend-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The whole stack as its systemd units run it (own PostgreSQL, Redis, influxd, SMTP), a power cut
# mid-stream, and the counts compared with the generator's (tests/e2e/test_stack.py).
e2e: venv test-deps frontend
	PDM_E2E=1 PDM_E2E_SIZE=full $(BIN)/python -m pytest tests/e2e -s $(PYTEST_ARGS)

# The short form CI runs after `make test`: the same stack test on a smaller fleet (3 assets); the fault
# tests (tests/e2e/test_faults.py) run in `make e2e`.
e2e-smoke: venv test-deps frontend
	PDM_E2E=1 PDM_E2E_SIZE=smoke $(BIN)/python -m pytest tests/e2e/test_stack.py -s $(PYTEST_ARGS)

lint: venv $(NODE_STAMP) openapi-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	cd frontend && npx tsc --noEmit

# The published OpenAPI document (what clients and the dashboard generate types from), written
# from the code by drf-spectacular; `make lint` fails while it differs from what the code says.
# Re-run `make openapi` after any change to a view, serializer or URL and commit the file.
OPENAPI := docs/openapi.yaml
OPENAPI_GEN = env -u DATABASE_URL -u INFLUXDB_URL $(BIN)/python manage.py spectacular --validate --fail-on-warn

openapi: venv
	$(OPENAPI_GEN) --file $(OPENAPI)

openapi-check: venv
	@tmp=$$(mktemp) && trap 'rm -f $$tmp' EXIT && $(OPENAPI_GEN) --file $$tmp && \
	  diff -u $(OPENAPI) $$tmp >/dev/null || { diff -u $(OPENAPI) $$tmp | head -40; \
	  echo "$(OPENAPI) is out of date: run make openapi and commit it" >&2; exit 1; }

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python benchmarks/run_all.py

check-timeseries: venv
	$(BIN)/python manage.py check_timeseries

clean:
	rm -rf var .ruff_cache .hypothesis frontend/dist
