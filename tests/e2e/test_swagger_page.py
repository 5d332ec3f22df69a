"""The Swagger page in a real browser (issue 13, item 8): it loads GinChat's
own spec with no error in the console, and no query string makes it load a
spec (or a configuration) from anywhere else."""

from urllib.parse import urlsplit

import pytest

from e2e_support import WAIT_MS


@pytest.fixture
def swagger_page(server, browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    ctx.set_default_timeout(WAIT_MS)
    page = ctx.new_page()
    page.problems = []
    page.foreign = []
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))

    def only_here(route):
        # Nothing leaves this host: a request elsewhere is noted and aborted.
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            page.foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_here)
    yield page
    ctx.close()


def _loaded(page):
    from playwright.sync_api import expect

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("GinChat API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()


def test_the_swagger_page_loads_without_console_errors(server, swagger_page):
    page = swagger_page
    page.goto(server.url + "/swagger/index.html")
    _loaded(page)
    page.wait_for_load_state("networkidle")
    assert page.problems == []
    assert page.foreign == []


@pytest.mark.parametrize(
    "query",
    [
        "url=http://evil.example/x.json",
        "configUrl=http://evil.example/config.json",
        "urls.primaryName=x&url=/health",
    ],
)
def test_the_swagger_page_takes_no_spec_from_the_query(server, swagger_page, query):
    page = swagger_page
    page.goto(f"{server.url}/swagger/?{query}")
    _loaded(page)
    page.wait_for_load_state("networkidle")
    assert page.foreign == []
    assert urlsplit(page.url).query == ""
    assert page.problems == []
