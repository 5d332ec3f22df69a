"""Bearer tokens cached in Redis (ginchat/tokencache.py): a login caches its
token, so handshakes need no SQL; a session that ends (logout, a password
change, "log out everywhere else", deletion) stops its cached token at once,
for HTTP and for the WebSocket handshake, on this node and on every other."""

import hashlib
from datetime import datetime

import pytest
import websocket

from helpers import PASSWORD, wait_for
from http_checks import answer, error
from multinode import cluster, shared  # noqa: F401  (fixtures)

from ginchat.extensions import db
from ginchat.models.auth_token import AuthToken
from ginchat.models.user_basic import UserBasic
from ginchat.settings import Settings
from ginchat.tokencache import DEFAULT_TTL

ENTRY = "ginchat:tok:"
TTL = 120  # the cache on, whatever the database ("auto" leaves it off on SQLite)


@pytest.fixture(scope="module")
def server(make_server):
    return make_server(TOKEN_CACHE_TTL=TTL)


@pytest.fixture(scope="module")
def app(server):
    return server.app


def cached(app, user):
    key = ENTRY + hashlib.sha256(user.token.encode()).hexdigest()
    return bool(app.extensions["redis"].exists(key))


def handshake_status(api, user):
    """The HTTP status of a WebSocket handshake with the user's token (101: open)."""
    try:
        conn = websocket.create_connection(f"{api.server.ws_url}/chat?token={user.token}", timeout=10)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    conn.close()
    return 101


def test_a_login_caches_its_token_and_it_serves_http_and_the_handshake(app, api):
    me = api.user("tc")
    assert cached(app, me)
    assert answer(me.post("/user/find", userId=me.id), 200)["Data"]["Name"] == me.name
    assert handshake_status(api, me) == 101
    assert cached(app, me)


def test_a_token_read_from_sql_is_cached_too(app, api):
    me = api.user("tc")
    app.extensions["redis"].delete(ENTRY + hashlib.sha256(me.token.encode()).hexdigest())
    assert not cached(app, me)
    answer(me.post("/user/find", userId=me.id), 200)
    assert wait_for(lambda: cached(app, me))  # filled after the request, in a greenlet of its own
    assert handshake_status(api, me) == 101


def test_a_logged_out_token_stops_at_once(app, api):
    me = api.user("tc")
    other = api.login(me.name)
    assert cached(app, me) and cached(app, other)
    assert handshake_status(api, me) == 101
    answer(me.post("/user/logout"), 200)
    error(me.post("/user/find", userId=me.id), 401)
    assert handshake_status(api, me) == 401
    # The user's other session lives on (read from SQL again, then cached again).
    answer(other.post("/user/find", userId=me.id), 200)
    assert handshake_status(api, other) == 101
    assert wait_for(lambda: cached(app, other))


def test_a_password_change_stops_the_other_cached_tokens(app, api):
    me = api.user("tc")
    other = api.login(me.name)
    assert handshake_status(api, other) == 101
    answer(me.post("/user/updateUser", password="a-new-pw-2", oldPassword=PASSWORD), 200)
    error(other.post("/user/find", userId=me.id), 401)
    assert handshake_status(api, other) == 401
    assert handshake_status(api, me) == 101  # the session that changed it stays


def test_log_out_everywhere_else_stops_the_other_cached_tokens(app, api):
    me = api.user("tc")
    other = api.login(me.name)
    assert handshake_status(api, other) == 101
    answer(me.post("/user/logoutOthers"), 200)
    assert handshake_status(api, other) == 401
    error(other.post("/user/find", userId=me.id), 401)
    assert handshake_status(api, me) == 101


def test_a_deleted_account_s_cached_tokens_stop_at_once(app, api):
    me = api.user("tc")
    other = api.login(me.name)
    assert handshake_status(api, other) == 101
    answer(me.post("/user/deleteUser", password=PASSWORD), 200)
    assert handshake_status(api, other) == 401
    assert handshake_status(api, me) == 401
    error(other.post("/user/find", userId=me.id), 401)


def test_a_stale_generation_is_never_served(app, api):
    """An entry written with an older generation (a session that ended while
    it was being cached) fails the lookup, and goes."""
    me = api.user("tc")
    client = app.extensions["redis"]
    key = ENTRY + hashlib.sha256(me.token.encode()).hexdigest()
    value = client.get(key)
    value = value.decode() if isinstance(value, bytes) else value
    client.incr(f"ginchat:tokgen:{me.id}")  # as a session end would
    assert handshake_status(api, me) == 101  # the session itself lives: read from SQL

    def fresh():
        now = client.get(key)
        return now.decode() if isinstance(now, bytes) else now

    assert wait_for(lambda: fresh() not in (None, value))


@pytest.mark.slow
def test_a_logged_out_token_stops_at_once_on_every_node(cluster):
    n1, n2 = cluster(2, "redis", SESSION_CHECK_INTERVAL=3600, TOKEN_CACHE_TTL=TTL)
    api1, api2 = n1.api, n2.api
    me = api1.user("tcm")
    other = api1.login(me.name)
    third = api1.login(me.name)
    # Cached by the login on node 1, served by node 2 (one Redis).
    answer(api2.post("/user/find", token=me.token, userId=me.id), 200)
    assert handshake_status(api2, me) == 101
    assert handshake_status(api2, other) == 101

    answer(me.post("/user/logout"), 200)  # on node 1
    error(api2.post("/user/find", token=me.token, userId=me.id), 401)
    assert handshake_status(api2, me) == 401
    assert handshake_status(api2, other) == 101

    # A password change on node 2 stops the other tokens on node 1.
    answer(api2.post("/user/updateUser", token=other.token, password="a-new-pw-2", oldPassword=PASSWORD), 200)
    assert handshake_status(api1, third) == 401
    error(api1.post("/user/find", token=third.token, userId=me.id), 401)
    assert handshake_status(api1, other) == 101
    for node in (n1, n2):
        assert "Traceback" not in node.log(), node.log()[-3000:]


def forget(app, user):
    app.extensions["redis"].delete(ENTRY + hashlib.sha256(user.token.encode()).hexdigest())


def test_a_first_handshake_reads_the_session_from_sql_and_caches_it(app, api):
    me = api.user("tc")
    forget(app, me)
    assert handshake_status(api, me) == 101
    assert wait_for(lambda: cached(app, me))


@pytest.mark.parametrize("ended", ["logout", "expired", "deactivated", "deleted"])
def test_a_first_handshake_refuses_a_session_that_ended(app, api, ended):
    """The handshake's own SQL read (cache cold) holds the same rules as HTTP."""
    me = api.user("tc")
    if ended == "logout":
        answer(me.post("/user/logout"), 200)
    else:
        tokens, users = AuthToken.__table__, UserBasic.__table__
        with app.app_context():
            if ended == "expired":
                change = tokens.update().where(tokens.c.user_id == me.id).values(expires_at=datetime(2001, 1, 1))
            else:
                column = users.c.deactivated_at if ended == "deactivated" else users.c.deleted_at
                change = users.update().where(users.c.id == me.id).values({column: datetime(2001, 1, 1)})
            db.session.execute(change)
            db.session.commit()
    forget(app, me)
    assert handshake_status(api, me) == 401
    assert not cached(app, me)
    error(me.post("/user/find", userId=me.id), 401)


def test_a_storm_of_first_handshakes_caches_every_live_token_and_no_ended_one(app, api):
    """The filler caches tokens in batches: all the live ones, none of a
    session that ended while it waited."""
    users = [api.user("tc") for _ in range(12)]
    ended = users[-1]
    for user in users:
        forget(app, user)
    sockets = [websocket.create_connection(f"{api.server.ws_url}/chat?token={u.token}", timeout=10) for u in users]
    answer(ended.post("/user/logout"), 200)
    try:
        assert wait_for(lambda: all(cached(app, u) for u in users[:-1]))
        assert handshake_status(api, ended) == 401
        assert not cached(app, ended)
    finally:
        for ws in sockets:
            ws.close()


def test_auto_caches_tokens_where_the_database_is_a_server():
    """TOKEN_CACHE_TTL "auto" (the default): on for MariaDB/MySQL and
    PostgreSQL, off on SQLite (an in-process read is cheaper than Redis's
    round trip); a number is taken as it is."""

    def ttl_for(uri, value="auto"):
        return Settings.from_config({"SQLALCHEMY_DATABASE_URI": uri, "TOKEN_CACHE_TTL": value}).token_cache_ttl

    assert ttl_for("sqlite:////srv/ginchat.db") == 0
    assert ttl_for("mysql+pymysql://chat@db/ginchat") == DEFAULT_TTL
    assert ttl_for("postgresql+psycopg://chat@db/ginchat", "AUTO") == DEFAULT_TTL
    assert ttl_for("sqlite:////srv/ginchat.db", 30) == 30
    assert ttl_for("mysql+pymysql://chat@db/ginchat", 0) == 0


def test_the_suite_s_server_caches_by_the_database_s_kind(make_app):
    app = make_app()
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert app.config["TOKEN_CACHE_TTL"] == (0 if sqlite else 120)
