# GinChat: `make run` serves on :8082 with the embedded defaults (SQLite +
# embedded Redis); `make test` runs the whole suite. Both create .venv first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-embedded test-servers e2e bench clean help

help:
	@echo "make run    - serve GinChat on http://localhost:8082/ (embedded SQLite + Redis)"
	@echo "make test   - the whole test suite (uses Redis/MariaDB/PostgreSQL if they answer)"
	@echo "make clean  - remove .venv and instance/"

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GinChat needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing requirements into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) wsgi.py

# GINCHAT_TEST_DB / GINCHAT_TEST_REDIS pick the backends (see tests/conftest.py).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance
