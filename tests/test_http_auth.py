"""Authentication and the rules every route shares: the browser's cookie with
CSRF, scripts' bearer tokens, logout, foreign origins, the envelope of
routing errors, what is stored for passwords and tokens, and the Swagger spec."""

import re

import gevent
import pytest
import requests

from helpers import PASSWORD, unique_name
from http_checks import answer, error, listing

# Every route of the HTTP half that needs a login, with a plausible body.
LOGIN_ROUTES = [
    ("/user/logout", {}),
    ("/user/getUserList", {"page": 1}),
    ("/user/find", {"userId": 1}),
    ("/user/updateUser", {"email": "x@example.org"}),
    ("/user/deleteUser", {"password": PASSWORD}),
    ("/searchFriends", {}),
    ("/contact/addfriend", {"targetId": 1}),
    ("/contact/createCommunity", {"name": "gx"}),
    ("/contact/loadcommunity", {}),
    ("/contact/joinGroup", {"comId": 1}),
]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def browser(api, name):
    """A requests.Session logged in by the API with its cookie, and its CSRF token."""
    session = requests.Session()
    r = session.post(api.url + "/user/findUserByNameAndPwd", data={"name": name, "password": PASSWORD}, timeout=10)
    data = answer(r, 200, allow_token=True)["Data"]
    page = session.get(api.url + "/toChat", timeout=10)
    assert page.status_code == 200, page.text[:300]
    return session, CSRF_META.search(page.text).group(1), data


# --- unauthenticated ------------------------------------------------------------------
@pytest.mark.parametrize("path, form", LOGIN_ROUTES)
def test_every_route_answers_401_without_a_login(api, path, form):
    error(api.post(path, **form), 401)


@pytest.mark.parametrize("path, form", LOGIN_ROUTES)
def test_a_bad_token_is_401_everywhere(api, path, form):
    for header in ("Bearer not-a-token", "Bearer " + "x" * 500, "Bearer", "Basic dXNlcjpwdw=="):
        error(api.post(path, headers={"Authorization": header}, **form), 401)


def test_token_in_the_query_string_counts_only_on_the_websocket(api):
    me = api.user()
    error(api.post(f"/searchFriends?token={me.token}"), 401)
    error(requests.post(api.url + "/searchFriends", data={"token": me.token}, timeout=10), 401)


# --- bearer tokens -----------------------------------------------------------------------
def test_a_token_request_needs_no_csrf_token(api):
    me = api.user()
    answer(me.post("/contact/createCommunity", name=unique_name("g")), 201)


def test_a_token_from_a_deactivated_account_stops_working(api):
    me = api.user()
    answer(me.post("/user/deleteUser", password=PASSWORD), 200)
    error(me.post("/searchFriends"), 401)


# --- the browser's cookie and CSRF ---------------------------------------------------------
def test_cookie_login_authenticates_the_api(api):
    name = api.register()
    session, csrf_token, data = browser(api, name)
    body = listing(session.post(api.url + "/searchFriends", headers={"X-CSRFToken": csrf_token}, timeout=10))
    assert body["Rows"] == []
    found = answer(
        session.post(api.url + "/user/find", data={"userId": data["ID"], "csrf_token": csrf_token}, timeout=10), 200
    )
    assert found["Data"]["Name"] == name
    r = session.get(api.url + "/toChat", timeout=10)
    assert r.status_code == 200 and name in r.text


def test_cookie_write_without_the_csrf_token_is_refused(api):
    name, other = api.register(), api.user()
    session, _, _ = browser(api, name)
    url = api.url + "/contact/addfriend"
    error(session.post(url, data={"targetId": other.id}, timeout=10), 400, "CSRF")
    error(session.post(url, data={"targetId": other.id}, headers={"X-CSRFToken": "forged"}, timeout=10), 400, "CSRF")
    assert listing(other.post("/searchFriends"))["Rows"] == []


def test_cookie_write_with_the_csrf_token_works(api):
    name, a, b = api.register(), api.user(), api.user()
    session, csrf_token, _ = browser(api, name)
    url = api.url + "/contact/addfriend"
    answer(session.post(url, data={"targetId": a.id}, headers={"X-CSRFToken": csrf_token}, timeout=10), 200)
    answer(session.post(url, data={"targetId": b.id, "csrf_token": csrf_token}, timeout=10), 200)
    assert {u["Name"] for u in listing(a.post("/searchFriends"))["Rows"]} == {name}


def test_csrf_token_of_one_session_does_not_work_in_another(api):
    name = api.register()
    first, first_token, _ = browser(api, name)
    second, _, _ = browser(api, name)
    url = api.url + "/contact/createCommunity"
    error(
        second.post(url, data={"name": unique_name("g")}, headers={"X-CSRFToken": first_token}, timeout=10), 400, "CSRF"
    )


def test_cookie_logout_revokes_the_token_issued_with_the_session(api):
    name = api.register()
    session, csrf_token, data = browser(api, name)
    token_user = api.login(name)  # another device: must stay logged in
    answer(session.post(api.url + "/user/logout", headers={"X-CSRFToken": csrf_token}, timeout=10), 200)
    error(session.post(api.url + "/searchFriends", timeout=10), 401)
    error(api.post("/searchFriends", token=data["Token"]), 401)
    answer(token_user.post("/searchFriends"), 200)


def test_cookie_logout_needs_the_csrf_token(api):
    name = api.register()
    session, csrf_token, _ = browser(api, name)
    error(session.post(api.url + "/user/logout", timeout=10), 400, "CSRF")
    answer(session.post(api.url + "/searchFriends", headers={"X-CSRFToken": csrf_token}, timeout=10), 200)


def test_a_bearer_token_wins_over_a_cookie(api):
    name, other = api.register(), api.user()
    session, _, _ = browser(api, name)
    r = session.post(
        api.url + "/contact/addfriend",
        data={"targetId": other.id},
        headers={"Authorization": f"Bearer {api.login(name).token}"},
        timeout=10,
    )
    answer(r, 200)


# --- foreign origins -----------------------------------------------------------------------
def test_a_write_from_a_foreign_origin_is_403(api):
    name = api.register()
    r = api.post("/user/findUserByNameAndPwd", headers={"Origin": "http://evil.example"}, name=name, password=PASSWORD)
    error(r, 403, "origin")
    me = api.login(name)
    error(
        api.post(
            "/contact/createCommunity", token=me.token, headers={"Origin": "http://evil.example"}, name=unique_name("g")
        ),
        403,
        "origin",
    )
    assert answer(me.post("/contact/loadcommunity"), 200)["Rows"] == []


def test_a_write_from_our_own_origin_is_allowed(api):
    name = api.register()
    r = api.post("/user/findUserByNameAndPwd", headers={"Origin": api.url}, name=name, password=PASSWORD)
    answer(r, 200, allow_token=True)


# --- routing errors keep the envelope ---------------------------------------------------------
def test_unknown_route_is_a_json_404(api):
    error(api.post("/user/noSuchRoute"), 404)
    error(api.get("/contact/nothing"), 404)


@pytest.mark.parametrize("path", [p for p, _ in LOGIN_ROUTES] + ["/user/createUser", "/user/findUserByNameAndPwd"])
def test_wrong_method_is_a_json_405(api, path):
    error(api.get(path), 405)


# --- unique names under concurrency -------------------------------------------------------------
def test_registering_one_name_at_once_makes_one_user(api):
    for _ in range(3):
        name = unique_name("race")
        jobs = [
            gevent.spawn(api.post, "/user/createUser", name=name, password=PASSWORD, Identity=PASSWORD)
            for _ in range(5)
        ]
        gevent.joinall(jobs, raise_error=True)
        statuses = sorted(job.value.status_code for job in jobs)
        assert statuses == [201, 409, 409, 409, 409], [job.value.text for job in jobs]
        for job in jobs:
            answer(job.value, job.value.status_code)
        api.login(name)


def test_renaming_two_users_to_one_name_at_once(api):
    a, b = api.user(), api.user()
    name = unique_name("race")
    jobs = [gevent.spawn(u.post, "/user/updateUser", name=name) for u in (a, b)]
    gevent.joinall(jobs, raise_error=True)
    assert sorted(job.value.status_code for job in jobs) == [200, 409], [job.value.text for job in jobs]


# --- what is stored --------------------------------------------------------------------------
def test_passwords_and_tokens_are_not_stored_in_the_clear(api, app):
    from sqlalchemy import select

    from ginchat.extensions import db
    from ginchat.models.auth_token import AuthToken
    from ginchat.models.user_basic import UserBasic

    me = api.user()
    with app.app_context():
        user = db.session.get(UserBasic, me.id)
        assert PASSWORD not in user.password
        assert user.password.split(":")[0] in ("scrypt", "pbkdf2"), "a modern KDF, never MD5"
        digests = db.session.scalars(select(AuthToken.digest).where(AuthToken.user_id == me.id)).all()
        assert digests and me.token not in digests
        assert all(me.token not in d for d in digests)
        db.session.remove()


def test_same_password_gives_different_hashes(api, app):
    from ginchat.extensions import db
    from ginchat.models.user_basic import UserBasic

    a, b = api.user(), api.user()
    with app.app_context():
        assert db.session.get(UserBasic, a.id).password != db.session.get(UserBasic, b.id).password
        db.session.remove()


# --- Swagger -------------------------------------------------------------------------------------
def test_swagger_ui_is_served_at_index_html(api):
    r = requests.get(api.url + "/swagger/index.html", timeout=10)
    assert r.status_code == 200 and "swagger" in r.text.lower()
    # What the page loads (scripts, styles, icons), not the links it shows.
    loaded = re.findall(r'<(?:script|img)\b[^>]*\bsrc="([^"]+)"', r.text)
    loaded += re.findall(r'<link\b[^>]*\bhref="([^"]+)"', r.text)
    assert loaded
    for url in loaded:
        assert not re.match(r"^(https?:)?//", url) or url.startswith(api.url), f"loads {url} from outside the host"


def test_swagger_spec_is_valid_and_documents_every_route(api):
    from openapi_spec_validator import validate

    r = requests.get(api.url + "/swagger/apispec.json", timeout=10)
    assert r.status_code == 200
    spec = r.json()
    validate(spec)
    for path, form in LOGIN_ROUTES + [
        ("/user/createUser", {"name": 1, "password": 1}),
        ("/user/findUserByNameAndPwd", {"name": 1, "password": 1}),
    ]:
        op = spec["paths"][path]["post"]
        documented = {p["name"] for p in op.get("parameters", [])}
        assert set(form) <= documented, (path, documented)
        assert "200" in op["responses"] or "201" in op["responses"], path
        if path not in ("/user/createUser", "/user/findUserByNameAndPwd"):
            assert "401" in op["responses"], path
