"""Browser tests: GinChat in its own server process, driven in headless
Chromium (Debian's /usr/bin/chromium) by Playwright for Python.

Playwright's sync API and gevent's monkey-patching cannot share a process, and
tests/conftest.py patches gevent for the whole pytest run. So this suite runs in
a pytest run of its own that leaves that conftest out (``make e2e``)::

    .venv/bin/python -m pytest --confcutdir=tests/e2e tests/e2e

Collected by the main (gevent-patched) run, every test here is skipped with
that hint. Without Chromium or Playwright they are skipped too, saying so.

Environment: ``GINCHAT_E2E_CHROMIUM`` (default /usr/bin/chromium),
``GINCHAT_E2E_KEEP=1`` keeps the server's temporary folder (log, database).
"""

import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_support import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, ServerProcess, login  # noqa: E402


def _gevent_patched():
    if "gevent.monkey" not in sys.modules:
        return False
    return sys.modules["gevent.monkey"].is_module_patched("socket")


def _why_skip():
    if _gevent_patched():
        return "browser tests run in their own process (gevent is patched here): make e2e"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}: apt-get install chromium (or set GINCHAT_E2E_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -r requirements.txt"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _why_skip()
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def server():
    workdir = tempfile.mkdtemp(prefix="ginchat-e2e-")
    proc = ServerProcess(workdir).start()
    yield proc
    proc.stop()
    if os.environ.get("GINCHAT_E2E_KEEP") != "1":
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"\nkept {workdir}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def people(server, browser):
    """``people.open(user, **context_options)``: a fresh browser context logged
    in as ``user`` through the login form, on /toChat. Closed after the test.
    Page errors and dialogs (alert!) are collected on the page's ``problems``."""

    class People:
        def __init__(self):
            self.contexts = []

        def context(self, **options):
            options.setdefault("viewport", {"width": 1200, "height": 800})
            options.setdefault("base_url", server.url)
            ctx = browser.new_context(**options)
            ctx.set_default_timeout(WAIT_MS)
            self.contexts.append(ctx)
            page = ctx.new_page()
            page.problems = []
            page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
            page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
            page.on("requestfailed", lambda req: None)
            return page

        def open(self, user, **options):
            page = self.context(**options)
            login(page, user.name)
            return page

        def close(self):
            for ctx in self.contexts:
                ctx.close()

    crowd = People()
    yield crowd
    crowd.close()
