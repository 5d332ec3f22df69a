# GinChat: `make run` serves on :8082 with the embedded defaults (SQLite +
# embedded Redis); `make test` runs the whole suite. Both create .venv first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-core e2e screenshots bench soak clean help

help:
	@echo "make run        serve GinChat on http://localhost:8082/ (embedded SQLite + Redis)"
	@echo "make test       the whole suite: test-core, then e2e"
	@echo "make test-core  everything but the browser tests (uses Redis/MariaDB/PostgreSQL when they answer)"
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

run: $(STAMP)
	$(PY) wsgi.py

test: test-core e2e

# GINCHAT_TEST_DB / GINCHAT_TEST_REDIS pick the backends (see tests/conftest.py).
test-core: $(STAMP)
	$(PY) -m pytest --ignore=tests/e2e --ignore=tests/soak $(PYTEST_ARGS)

# Playwright and gevent's monkey-patching cannot share a process: the browser
# tests run in a pytest of their own, without tests/conftest.py.
e2e: $(STAMP)
	$(PY) -m pytest --confcutdir=tests/e2e tests/e2e $(PYTEST_ARGS)

screenshots: $(STAMP)
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
soak: $(STAMP)
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest -s tests/soak $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance
