"""The pages without JavaScript: a newcomer registers, logs in, adds a friend,
creates and joins groups and sees them listed, with plain form posts."""

import re
from urllib.parse import urlsplit

import requests

from helpers import PASSWORD, unique_name

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_of(html):
    match = CSRF_INPUT.search(html)
    assert match, "the form carries no csrf_token"
    return match.group(1) or match.group(2)


def form_post(session, url, path, **fields):
    """GET the page that holds the form, then post the form with its token."""
    holder = "/toChat" if path.startswith("/toChat/") or path == "/logout" else path.split("?")[0]
    page = session.get(url + holder, timeout=10)
    fields["csrf_token"] = csrf_of(page.text)
    return session.post(url + path, data=fields, timeout=10, allow_redirects=False)


def register_and_log_in(api):
    name = unique_name("p")
    session = requests.Session()
    r = form_post(session, api.url, "/toRegister", name=name, password=PASSWORD, Identity=PASSWORD)
    # Issue 15: registering logs the newcomer in at once and opens the app.
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/toChat"), (r.status_code, r.text[:300])
    return name, session


def test_registering_logs_in_at_once(api):
    name, session = register_and_log_in(api)
    html = chat_page(api, session)
    assert f'data-me-name="{name}"' in html
    # The login page sends a logged-in person on to the app; the password works as ever.
    r = session.get(api.url + "/", timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/toChat")
    api.login(name)


def chat_page(api, session):
    r = session.get(api.url + "/toChat", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    return r.text


def test_pages_answer_html(api):
    for path in ("/", "/index", "/toRegister"):
        r = requests.get(api.url + path, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html"), path
        assert 'name="password"' in r.text and "csrf_token" in r.text, path


def test_to_chat_without_a_login_goes_to_the_login_page(api):
    r = requests.get(api.url + "/toChat", timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303)
    assert r.headers["Location"].split("?")[0].rstrip("/").endswith(("", "/index")) and "next=" in r.headers["Location"]


def test_a_newcomer_befriends_creates_and_joins_without_javascript(api):
    name, session = register_and_log_in(api)
    friend = api.user()
    html = chat_page(api, session)
    assert name in html

    r = form_post(session, api.url, "/toChat/addFriend", targetName=friend.name)
    assert r.status_code in (302, 303)
    mine = unique_name("g")
    r = form_post(session, api.url, "/toChat/createGroup", name=mine, desc="ours")
    assert r.status_code in (302, 303)
    theirs = api.group(friend)
    r = form_post(session, api.url, "/toChat/joinGroup", comId=theirs["Name"])
    assert r.status_code in (302, 303)

    html = chat_page(api, session)
    assert f'data-user-id="{friend.id}"' in html and friend.name in html
    assert mine in html and theirs["Name"] in html
    assert {u["Name"] for u in friend.post("/searchFriends").json()["Rows"]} == {name}


def test_a_failed_form_shows_the_reason_and_no_500(api):
    name, session = register_and_log_in(api)
    r = form_post(session, api.url, "/toChat/addFriend", targetName=unique_name("ghost"))
    assert r.status_code in (302, 303)
    assert "no user named" in chat_page(api, session)
    r = form_post(session, api.url, "/toChat/joinGroup", comId="\u00b2")
    assert r.status_code in (302, 303)


def test_a_form_post_without_csrf_is_refused(api):
    name, session = register_and_log_in(api)
    friend = api.user()
    r = session.post(api.url + "/toChat/addFriend", data={"targetName": friend.name}, timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303, 400)
    assert friend.post("/searchFriends").json()["Rows"] == []


def test_a_wrong_password_on_the_login_page_is_401_html(api):
    name = api.register()
    session = requests.Session()
    r = form_post(session, api.url, "/", name=name, password="wrong-pw-1")
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("text/html")
    assert session.get(api.url + "/toChat", timeout=10, allow_redirects=False).status_code in (302, 303)


def test_login_never_redirects_off_site(api):
    name = api.register()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        session = requests.Session()
        r = form_post(session, api.url, f"/?next={target}", name=name, password=PASSWORD)
        assert r.status_code in (302, 303)
        parts = urlsplit(r.headers["Location"])
        assert parts.netloc in ("", f"127.0.0.1:{api.server.port}"), r.headers["Location"]
        assert not parts.path.startswith(("//", "/\\")), r.headers["Location"]


def test_pages_load_nothing_from_outside_the_host(api):
    name, session = register_and_log_in(api)
    for path in ("/", "/toRegister", "/toChat"):
        html = session.get(api.url + path, timeout=10).text
        loaded = re.findall(r'<(?:script|img|iframe)\b[^>]*\bsrc="([^"]+)"', html)
        loaded += re.findall(r'<link\b[^>]*\bhref="([^"]+)"', html)
        for url in loaded:
            assert not re.match(r"^(https?:)?//", url), f"{path} loads {url}"


def test_logout_form_ends_the_session(api):
    name, session = register_and_log_in(api)
    r = form_post(session, api.url, "/logout")
    assert r.status_code in (302, 303)
    assert session.get(api.url + "/toChat", timeout=10, allow_redirects=False).status_code in (302, 303)


def test_the_favicon_is_there(api):
    """Issue 15: no 404 for the icon, at /favicon.ico or where the pages point."""
    page = requests.get(api.url + "/", timeout=10).text
    assert 'rel="icon" href="/static/img/favicon.svg"' in page
    for path in ("/favicon.ico", "/static/img/favicon.svg"):
        r = requests.get(api.url + path, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml"), path
        assert r.content.startswith(b"<svg"), path
