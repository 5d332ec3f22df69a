"""``expect`` from Playwright, or a stand-in when Playwright is missing (the
tests are skipped then, but their modules must still import)."""

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - conftest skips every test then

    def expect(*_args, **_kwargs):
        raise RuntimeError("Playwright is not installed")
