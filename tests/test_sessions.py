"""Sessions end on the server: every login is one session record (its bearer
token and its cookie); logout, a password change, "log out everywhere else"
and deleting the account end sessions for the cookie, the token and the open
WebSockets alike, even when the client kept a copy of the cookie."""

import base64
import json
import re
import time
import uuid
import zlib
from urllib.parse import urlsplit

import pytest
import requests
import websocket

from helpers import PASSWORD, WsClient, unique_name, wait_for
from http_checks import answer, error

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
NEW_PASSWORD = "a-new-pw-2"


# --- helpers -------------------------------------------------------------------------------
class Browser:
    """A requests.Session logged in through the login page: its cookie and CSRF token."""

    def __init__(self, api, name, password=PASSWORD):
        self.api = api
        self.http = requests.Session()
        page = self.http.get(api.url + "/", timeout=10)
        match = CSRF_INPUT.search(page.text)
        r = self.http.post(
            api.url + "/",
            data={"name": name, "password": password, "csrf_token": match.group(1) or match.group(2)},
            timeout=10,
            allow_redirects=False,
        )
        assert r.status_code in (302, 303) and "/toChat" in r.headers["Location"], (r.status_code, r.text[:300])
        chat = self.http.get(api.url + "/toChat", timeout=10)
        assert chat.status_code == 200, chat.text[:300]
        self.csrf = CSRF_META.search(chat.text).group(1)

    @property
    def cookie(self):
        return self.http.cookies.get("session")

    def post(self, path, **data):
        return self.http.post(self.api.url + path, data=data, headers={"X-CSRFToken": self.csrf}, timeout=10)

    def get(self, path, **params):
        return self.http.get(self.api.url + path, params=params, timeout=10)

    def ws(self):
        return cookie_ws(self.api, self.cookie)


def cookie_ws(api, cookie):
    return WsClient(websocket.create_connection(f"{api.server.ws_url}/chat", cookie=f"session={cookie}", timeout=10))


def with_cookie(api, cookie):
    """A fresh client that holds nothing but a copy of ``cookie``."""
    session = requests.Session()
    session.cookies.set("session", cookie, domain="127.0.0.1", path="/")
    return session


def handshake_status(url, **kwargs):
    """The HTTP status of a WebSocket handshake (101 when it opened)."""
    try:
        conn = websocket.create_connection(url, timeout=10, **kwargs)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    conn.close()
    return 101


def closed(client, timeout=10):
    """True once the server has closed the connection (frames before are skipped)."""
    conn = client.conn
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        conn.settimeout(left)
        try:
            data = conn.recv()
        except websocket.WebSocketTimeoutException:
            return False
        except (websocket.WebSocketConnectionClosedException, OSError):
            return True
        if data == "" or not conn.connected:
            return True


def alive(client, friend):
    """The connection still carries messages: one to ``friend`` is acknowledged."""
    cmid = "alive-" + uuid.uuid4().hex[:8]
    client.send(Type=1, TargetId=friend.id, Media=1, Content="still here", ClientMsgId=cmid)
    frame, _ = client.recv_until(lambda f: f.get("ClientMsgId") == cmid, timeout=10)
    return frame.get("Type") == 1


def person(api):
    """A user and a friend to write to (so a socket can show it still works)."""
    me, friend = api.user("s"), api.user("f")
    api.befriend(me, friend)
    return me, friend


def cookie_payload(cookie):
    """What a Flask session cookie carries (anyone holding it can read this)."""
    data = cookie.split(".")[0] if not cookie.startswith(".") else cookie.split(".")[1]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    if cookie.startswith("."):
        raw = zlib.decompress(raw)
    return json.loads(raw)


# --- logout ---------------------------------------------------------------------------------
def test_a_cookie_copied_before_the_page_logout_is_refused(api):
    me, friend = person(api)
    browser = Browser(api, me.name)
    saved = browser.cookie
    # The copy works while the session lives: for the API, the pages and the socket.
    answer(with_cookie(api, saved).get(api.url + "/message/sync", params={"since": 0}, timeout=10), 200)
    socket = cookie_ws(api, saved)
    assert alive(socket, friend)

    page = browser.http.get(api.url + "/toChat", timeout=10)
    r = browser.http.post(
        api.url + "/logout",
        data={"csrf_token": CSRF_META.search(page.text).group(1)},
        timeout=10,
        allow_redirects=False,
    )
    assert r.status_code in (302, 303)

    copy = with_cookie(api, saved)
    error(copy.get(api.url + "/message/sync", params={"since": 0}, timeout=10), 401)
    error(copy.post(api.url + "/searchFriends", headers={"X-CSRFToken": browser.csrf}, timeout=10), 401)
    error(
        copy.post(
            api.url + "/contact/createCommunity",
            data={"name": unique_name("g")},
            headers={"X-CSRFToken": browser.csrf},
            timeout=10,
        ),
        401,
    )
    r = copy.get(api.url + "/toChat", timeout=10, allow_redirects=False)
    assert r.status_code in (302, 303) and urlsplit(r.headers["Location"]).path == "/"
    assert handshake_status(f"{api.server.ws_url}/chat", cookie=f"session={saved}") == 401
    assert closed(socket), "the socket opened with the cookie outlived the logout"
    answer(me.post("/searchFriends"), 200)  # the API login of the same user is another session


def test_the_api_logins_cookie_dies_with_api_logout(api):
    name = api.register()
    http = requests.Session()
    r = http.post(api.url + "/user/findUserByNameAndPwd", data={"name": name, "password": PASSWORD}, timeout=10)
    token = answer(r, 200, allow_token=True)["Data"]["Token"]
    cookie = http.cookies.get("session")
    assert cookie, "the API login sets a session cookie"
    answer(with_cookie(api, cookie).get(api.url + "/message/sync", params={"since": 0}, timeout=10), 200)

    answer(api.post("/user/logout", token=token), 200)
    error(with_cookie(api, cookie).get(api.url + "/message/sync", params={"since": 0}, timeout=10), 401)
    error(api.get("/message/sync", token=token, since=0), 401)
    assert handshake_status(f"{api.server.ws_url}/chat", cookie=f"session={cookie}") == 401


def test_logout_closes_that_sessions_sockets_and_no_other(api):
    me, friend = person(api)
    other = api.login(me.name)  # a second device: a second session
    first, second, third = me.ws(), me.ws(), other.ws()
    assert alive(first, friend) and alive(third, friend)

    answer(me.post("/user/logout"), 200)
    assert closed(first) and closed(second)
    assert alive(third, friend)
    assert handshake_status(f"{api.server.ws_url}/chat?token={me.token}") == 401
    answer(other.post("/searchFriends"), 200)
    third.close()


def test_a_login_leaves_other_sessions_alone(api):
    me, friend = person(api)
    browser = Browser(api, me.name)
    socket = me.ws()
    again = api.login(me.name)
    assert again.token != me.token
    answer(me.post("/searchFriends"), 200)
    answer(browser.post("/searchFriends"), 200)
    assert alive(socket, friend)
    socket.close()


def test_the_cookie_holds_no_token_and_the_table_no_secret(api, app):
    from sqlalchemy import select

    from ginchat.extensions import db
    from ginchat.models.auth_token import AuthToken

    name = api.register()
    http = requests.Session()
    r = http.post(api.url + "/user/findUserByNameAndPwd", data={"name": name, "password": PASSWORD}, timeout=10)
    data = answer(r, 200, allow_token=True)["Data"]
    payload = cookie_payload(http.cookies.get("session"))
    assert data["Token"] not in json.dumps(payload)
    with app.app_context():
        rows = db.session.scalars(select(AuthToken).where(AuthToken.user_id == data["ID"])).all()
        assert len(rows) == 1, "one login, one session record"
        stored = json.dumps([[row.digest, row.cookie_digest] for row in rows])
        db.session.remove()
    secrets_in_cookie = [v for v in payload.values() if isinstance(v, str) and len(v) >= 16]
    assert secrets_in_cookie, payload  # the cookie carries its session's secret...
    for value in secrets_in_cookie:
        assert value not in stored  # ...and the table only its digest
    assert data["Token"] not in stored


# --- a password change ------------------------------------------------------------------------
@pytest.mark.parametrize("old, status", [(None, 400), ("", 400), ("not-my-password", 403)])
def test_a_password_change_needs_the_current_password(api, old, status):
    me, friend = person(api)
    other = api.login(me.name)
    socket = other.ws()
    form = {"password": NEW_PASSWORD, "phone": "123456789", "name": unique_name("renamed")}
    if old is not None:
        form["oldPassword"] = old
    error(me.post("/user/updateUser", **form), status, "oldPassword")
    data = answer(me.post("/user/find", userId=me.id), 200)["Data"]
    assert data["Name"] == me.name and data["Phone"] == ""
    api.login(me.name, PASSWORD)
    error(api.post("/user/findUserByNameAndPwd", name=me.name, password=NEW_PASSWORD), 401)
    answer(other.post("/searchFriends"), 200)
    assert alive(socket, friend)
    socket.close()


def test_a_password_change_by_cookie_needs_the_current_password_too(api):
    me, _ = person(api)
    browser = Browser(api, me.name)
    error(browser.post("/user/updateUser", password=NEW_PASSWORD), 400, "oldPassword")
    error(browser.post("/user/updateUser", password=NEW_PASSWORD, oldPassword="wrong-pw-9"), 403, "oldPassword")
    api.login(me.name, PASSWORD)


def test_a_password_change_ends_every_other_session(api):
    me, friend = person(api)
    caller = Browser(api, me.name)  # changes the password, in the browser
    browser = Browser(api, me.name)  # another browser
    caller_socket, own_token_socket = caller.ws(), me.ws()
    other_browser_socket = browser.ws()
    other = api.login(me.name)
    other_socket = other.ws()
    for socket in (caller_socket, own_token_socket, other_browser_socket, other_socket):
        assert alive(socket, friend)

    answer(caller.post("/user/updateUser", password=NEW_PASSWORD, oldPassword=PASSWORD), 200)

    # Every other session: token, cookie and sockets.
    error(other.post("/searchFriends"), 401)
    error(me.post("/searchFriends"), 401)
    error(browser.post("/searchFriends"), 401)
    assert closed(other_socket) and closed(own_token_socket) and closed(other_browser_socket)
    # The caller's own session goes on.
    answer(caller.post("/searchFriends"), 200)
    assert caller.get("/toChat").status_code == 200
    assert alive(caller_socket, friend)
    assert handshake_status(f"{api.server.ws_url}/chat", cookie=f"session={caller.cookie}") == 101
    # The new password logs in; the old one no longer does.
    api.login(me.name, NEW_PASSWORD)
    error(api.post("/user/findUserByNameAndPwd", name=me.name, password=PASSWORD), 401)
    caller_socket.close()


def test_a_password_change_by_token_keeps_that_token(api):
    me, friend = person(api)
    other = api.login(me.name)
    mine, theirs = me.ws(), other.ws()
    answer(me.post("/user/updateUser", password=NEW_PASSWORD, oldPassword=PASSWORD), 200)
    answer(me.post("/searchFriends"), 200)
    error(other.post("/searchFriends"), 401)
    assert closed(theirs)
    assert alive(mine, friend)
    mine.close()


def test_a_profile_change_without_a_password_keeps_every_session(api):
    me, friend = person(api)
    other = api.login(me.name)
    socket = other.ws()
    answer(me.post("/user/updateUser", email="me@example.org", oldPassword="ignored-when-no-password"), 200)
    answer(other.post("/searchFriends"), 200)
    assert alive(socket, friend)
    socket.close()


# --- log out everywhere else ------------------------------------------------------------------
def test_log_out_everywhere_else(api):
    me, friend = person(api)
    browser = Browser(api, me.name)
    browser_socket = browser.ws()
    other = api.login(me.name)
    other_socket, my_socket = other.ws(), me.ws()

    body = answer(me.post("/user/logoutOthers"), 200)
    assert body["Data"] == {"Ended": 2}
    error(other.post("/searchFriends"), 401)
    error(browser.post("/searchFriends"), 401)
    assert closed(other_socket) and closed(browser_socket)
    answer(me.post("/searchFriends"), 200)
    assert alive(my_socket, friend)
    # Nothing else to end now; a new login afterwards is a new, living session.
    assert answer(me.post("/user/logoutOthers"), 200)["Data"] == {"Ended": 0}
    later = api.login(me.name)
    answer(later.post("/searchFriends"), 200)
    assert alive(my_socket, friend)
    my_socket.close()


def test_log_out_everywhere_else_from_the_browser(api):
    me, friend = person(api)
    browser = Browser(api, me.name)
    own = browser.ws()
    socket = me.ws()
    error(browser.http.post(api.url + "/user/logoutOthers", timeout=10), 400, "CSRF")
    answer(me.post("/searchFriends"), 200)
    assert answer(browser.post("/user/logoutOthers"), 200)["Data"] == {"Ended": 1}
    error(me.post("/searchFriends"), 401)
    assert closed(socket)
    answer(browser.post("/searchFriends"), 200)
    assert alive(own, friend)
    own.close()


def test_log_out_everywhere_else_needs_a_login(api):
    error(api.post("/user/logoutOthers"), 401)


# --- deleting the account ----------------------------------------------------------------------
def test_deleting_the_account_ends_its_cookies_and_sockets(api):
    me, _ = person(api)
    browser = Browser(api, me.name)
    saved = browser.cookie
    browser_socket, token_socket = browser.ws(), me.ws()
    other = api.login(me.name)
    other_socket = other.ws()

    answer(other.post("/user/deleteUser", password=PASSWORD), 200)
    error(with_cookie(api, saved).get(api.url + "/message/sync", params={"since": 0}, timeout=10), 401)
    error(browser.post("/searchFriends"), 401)
    error(me.post("/searchFriends"), 401)
    assert closed(browser_socket) and closed(token_socket) and closed(other_socket)
    assert handshake_status(f"{api.server.ws_url}/chat", cookie=f"session={saved}") == 401


# --- what the bus could not bring --------------------------------------------------------------
def test_a_socket_of_a_session_ended_elsewhere_closes_by_itself(make_server):
    """A session ended where no event reached this node (a lost datagram, or
    a revocation made straight in the database) still closes its sockets:
    each node checks its connections' sessions every SESSION_CHECK_INTERVAL."""
    from helpers import Api

    from ginchat.extensions import db
    from ginchat.models.auth_token import AuthToken

    server = make_server(SESSION_CHECK_INTERVAL=0.5)
    api = Api(server)
    me, friend = person(api)
    socket = me.ws()
    assert alive(socket, friend)
    with server.app.app_context():
        db.session.execute(db.update(AuthToken).where(AuthToken.user_id == me.id).values(revoked=True))
        db.session.commit()
        db.session.remove()
    assert closed(socket, timeout=15)
    assert wait_for(lambda: server.engine.client_map.get(me.id) is None, timeout=5)


# --- a database made by an older version -----------------------------------------------------
def test_a_database_from_before_gets_the_cookie_column(api, app, make_app):
    from sqlalchemy import inspect, text

    from ginchat.extensions import db

    def columns():
        with app.app_context():
            return {c["name"] for c in inspect(db.engine).get_columns("auth_token")}

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE auth_token DROP COLUMN cookie_digest"))
            conn.execute(text("DROP TABLE alembic_version"))  # a database from before migrations has none
        db.engine.dispose()
    assert "cookie_digest" not in columns()
    make_app()  # a node of this version starts on the old tables
    assert "cookie_digest" in columns()
    name = api.register()
    answer(Browser(api, name).post("/searchFriends"), 200)


# --- Swagger ---------------------------------------------------------------------------------
def test_swagger_documents_old_password_and_log_out_everywhere_else(api):
    spec = requests.get(api.url + "/swagger/apispec.json", timeout=10).json()
    update = spec["paths"]["/user/updateUser"]["post"]
    assert "oldPassword" in {p["name"] for p in update["parameters"]}
    assert "403" in update["responses"]
    others = spec["paths"]["/user/logoutOthers"]["post"]
    assert "200" in others["responses"] and "401" in others["responses"]
