"""The WebSocket handshake's lean path (ginchat/chat/handshake.py): a
bearer-token handshake is served without Flask's request pipeline, by the
same rules. Every handshake gets the same answer (status and body) from a
server with the lean path as from one without it; only the ones Flask
would accept are taken there, and the sockets they open chat, replay and
close with their session like any other."""

import collections
import gc
import hashlib
import json
import socket

import gevent
import pytest

from helpers import wait_for
from http_checks import answer

from ginchat.extensions import db
from ginchat.models.auth_token import AuthToken
from ginchat.models.user_basic import UserBasic, utcnow


def handshake(server, target, headers=()):
    """(status, parsed JSON body or None) of a raw handshake: every header is
    the test's choice (websocket-client always adds an Origin)."""
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *headers,
    ]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status == 101:
            sock.sendall(b"\x88\x82abcd" + bytes(a ^ b for a, b in zip(b"\x03\xe8", b"ab", strict=True)))
            return status, None
        fields = (line.split(b":", 1) for line in head.split(b"\r\n")[1:])
        length = next((int(value) for key, value in fields if key.strip().lower() == b"content-length"), 0)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, json.loads(body) if body else None
    finally:
        sock.close()


@pytest.fixture(scope="module")
def flask_only(make_server):
    """A second server on the same database and Redis, every handshake through Flask."""
    return make_server(FAST_HANDSHAKE=False)


def lean(server):
    return server.app.extensions["handshake_path"]


def variants(me, friend, server):
    own = f"http://127.0.0.1:{server.port}"
    t = me.token
    return {
        "query token": (f"/chat?token={t}", ()),
        "query token, own Origin": (f"/chat?token={t}", (f"Origin: {own}",)),
        "header token": ("/chat", (f"Authorization: Bearer {t}",)),
        "header token, lower-case scheme": ("/chat", (f"Authorization: bearer {t}",)),
        "another scheme and a query token": (f"/chat?token={t}", ("Authorization: Basic eDp5",)),
        "an empty bearer and a query token": (f"/chat?token={t}", ("Authorization: Bearer ",)),
        "the alias route": (f"/user/sendUserMsg?token={t}", ()),
        "events": (f"/chat?token={t}&events=1", ()),
        "since": (f"/chat?token={t}&since=5", ()),
        "own userId": (f"/chat?token={t}&userId={me.id}", ()),
        "unknown parameters": (f"/chat?token={t}&x=%E2%9C%93", ()),
        "no token": ("/chat", ()),
        "an unknown token": ("/chat?token=not-a-token", ()),
        "a huge token": ("/chat?token=" + "x" * 300, ()),
        "a foreign Origin": (f"/chat?token={t}", ("Origin: http://evil.example",)),
        "a null Origin": (f"/chat?token={t}", ("Origin: null",)),
        "another user's userId": (f"/chat?token={t}&userId={friend.id}", ()),
        "a userId that is no number": (f"/chat?token={t}&userId=abc", ()),
        "a negative since": (f"/chat?token={t}&since=-1", ()),
        "a since that is no number": (f"/chat?token={t}&since=1e3", ()),
        "a trailing slash": (f"/chat/?token={t}", ()),
        "a friend's token": (f"/chat?token={friend.token}", ()),
    }


def test_every_handshake_gets_the_answer_flask_gives(api, server, flask_only):
    me, friend = api.user("hp"), api.user("hp")
    theirs = variants(me, friend, flask_only)  # "own Origin" is each server's own
    for name, (target, headers) in variants(me, friend, server).items():
        before = lean(server).accepted
        got = handshake(server, target, headers)
        want = handshake(flask_only, *theirs[name])
        assert got == want, (name, got, want)
        # Only what Flask accepts is taken on the lean path, and all of it.
        assert lean(server).accepted - before == (1 if got[0] == 101 else 0), name
        if got[0] != 101:
            answer_body = got[1]
            assert answer_body is not None and answer_body["Code"] == -1, (name, got)
    assert "handshake_path" not in flask_only.app.extensions


def test_a_malformed_handshake_is_left_to_flask(api, server, flask_only):
    me = api.user("hp")
    for name, header in {"version 8": "Sec-WebSocket-Version: 8", "no key": None}.items():
        lines = [f"GET /chat?token={me.token} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
        lines += ["Upgrade: websocket", "Connection: Upgrade"]
        if header:
            lines += ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", header]
        else:
            lines += ["Sec-WebSocket-Version: 13"]
        before = lean(server).accepted
        statuses = []
        for target in (server, flask_only):
            sock = socket.create_connection(("127.0.0.1", target.port), timeout=10)
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            statuses.append(sock.recv(65536).split(b"\r\n", 1)[0])
            sock.close()
        assert statuses[0].split(b" ")[1] == statuses[1].split(b" ")[1], (name, statuses)
        assert lean(server).accepted == before, name


@pytest.mark.parametrize("ended", ["logout", "deactivated", "expired"])
def test_an_ended_session_is_refused_as_by_flask(app, api, server, flask_only, ended):
    me = api.user("hp")
    if ended == "logout":
        answer(me.post("/user/logout"), 200)
    else:
        with app.app_context():
            if ended == "deactivated":
                db.session.get(UserBasic, me.id).deactivated_at = utcnow()
            else:
                db.session.execute(db.update(AuthToken).where(AuthToken.user_id == me.id).values(expires_at=utcnow()))
            db.session.commit()
        # Changed behind the app's back: the token cache (on with a database
        # server) must not answer for it; the session is read from SQL.
        app.extensions["redis"].delete("ginchat:tok:" + hashlib.sha256(me.token.encode()).hexdigest())
    before = lean(server).accepted
    got = handshake(server, f"/chat?token={me.token}")
    assert got == handshake(flask_only, f"/chat?token={me.token}")
    assert got[0] == 401 and lean(server).accepted == before


def test_a_lean_socket_chats_replays_and_ends_with_its_session(api, server):
    me, friend = api.user("hp"), api.user("hp")
    api.befriend(me, friend)
    before = lean(server).accepted
    mine, theirs = me.ws(), friend.ws()
    assert lean(server).accepted == before + 2
    mine.send(TargetId=friend.id, Type=1, Media=1, Content="over the lean path", ClientMsgId="hp-1")
    got, _ = theirs.recv_until(lambda f: f.get("Content") == "over the lean path")
    # A reconnection with since replays it (the lean path reads since too).
    again = friend.ws(since=got["Id"] - 1)
    assert again.recv_until(lambda f: f.get("Id") == got["Id"])[0]["Content"] == "over the lean path"
    # The socket belongs to its login session: a logout closes it.
    answer(me.post("/user/logout"), 200)
    assert wait_for(lambda: not server.engine.client_map.get(me.id))


def test_the_lean_path_sits_inside_the_proxy_fix(api, make_server):
    """Behind a trusted proxy, the socket's address is the client's, as on Flask's path."""
    proxied = make_server(PROXY_COUNT=1)
    me = api.user("hp")
    sock = socket.create_connection(("127.0.0.1", proxied.port), timeout=10)
    try:
        request = (
            f"GET /chat?token={me.token} HTTP/1.1\r\nHost: 127.0.0.1:{proxied.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "X-Forwarded-For: 192.0.2.44\r\n\r\n"
        )
        sock.sendall(request.encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 101")
        assert wait_for(lambda: proxied.engine.client_map.get(me.id))
        (conn,) = proxied.engine.client_map[me.id]
        assert conn.addr == "192.0.2.44"
        assert lean(proxied).accepted == 1
    finally:
        sock.close()


def test_a_closed_lean_connection_leaves_no_cycle_for_the_collector(api, server):
    """Its objects are freed by reference counting when it closes: a full
    collection (which walks every object of every open connection) is not
    needed to free them."""
    me = api.user("hp")
    watched = {"ginchat.chat.connection.Connection", "simple_websocket.ws.Server", "flask.wrappers.Request"}
    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            assert handshake(server, f"/chat?token={me.token}")[0] == 101
        assert wait_for(lambda: not server.engine.client_map.get(me.id))
        gevent.sleep(0.2)  # the handlers' last steps after the close
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert {kind: left[kind] for kind in watched if left[kind]} == {}


def browser_session(server, api):
    """A browser's login: (session cookie, the agent it logged in with, its token)."""
    import requests

    from helpers import PASSWORD

    name = api.register()
    browser = requests.Session()
    agent = "GinChat test browser/1.0"
    r = browser.post(
        f"{server.url}/user/findUserByNameAndPwd",
        data={"name": name, "password": PASSWORD},
        headers={"User-Agent": agent},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return browser.cookies.get("session"), agent, r.json()["Data"]["Token"]


def test_browser_cookies_get_the_answer_flask_gives(api, server, flask_only):
    """A session cookie that Flask-Login accepts as it stands is served on the
    lean path (issue 30: browsers' handshakes as cheap as tokens'); every
    other cookie gets Flask's own answer."""
    cookie, agent, token = browser_session(server, api)
    ended, ended_agent, ended_token = browser_session(server, api)
    assert api.post("/user/logout", token=ended_token).status_code == 200
    tampered = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")

    def cases(target):
        own = f"Origin: http://127.0.0.1:{target.port}"
        return {
            # name: (path, headers, taken on the lean path?)
            "cookie, own Origin": ("/chat", (f"Cookie: session={cookie}", f"User-Agent: {agent}", own), True),
            "cookie, events, no Origin": (
                "/chat?events=1",
                (f"Cookie: session={cookie}", f"User-Agent: {agent}"),
                True,
            ),
            "cookie and since": ("/chat?since=3", (f"Cookie: session={cookie}", f"User-Agent: {agent}", own), True),
            # Session protection "basic": Flask-Login accepts it, marked not fresh: Flask's to answer.
            "cookie, another User-Agent": ("/chat", (f"Cookie: session={cookie}", "User-Agent: other", own), False),
            "cookie, a foreign Origin": (
                "/chat",
                (f"Cookie: session={cookie}", f"User-Agent: {agent}", "Origin: http://evil.example"),
                False,
            ),
            "a tampered cookie": ("/chat", (f"Cookie: session={tampered}", f"User-Agent: {agent}", own), False),
            "the cookie of a logged-out session": (
                "/chat",
                (f"Cookie: session={ended}", f"User-Agent: {ended_agent}", own),
                False,
            ),
            "cookie, another user's userId": (
                "/chat?userId=999999",
                (f"Cookie: session={cookie}", f"User-Agent: {agent}", own),
                False,
            ),
        }

    theirs = cases(flask_only)
    for name, (target, headers, lean_taken) in cases(server).items():
        before = lean(server).accepted
        got = handshake(server, target, headers)
        want = handshake(flask_only, *theirs[name][:2])
        assert got == want, (name, got, want)
        assert lean(server).accepted - before == (1 if lean_taken else 0), name
        if lean_taken:
            assert got[0] == 101, name


def test_the_session_identifier_is_flask_logins(app):
    """The lean path's session protection identifier is the one Flask-Login
    stores at login, for the same address and agent (and a proxy's list)."""
    from flask_login.utils import _create_identifier

    from ginchat.chat.handshake import session_identifier

    for headers, addr in (
        ({"User-Agent": "Mozilla/5.0 (X11) 浏览器"}, "10.0.0.7"),
        ({}, "127.0.0.1"),
        ({"User-Agent": "x", "X-Forwarded-For": "192.0.2.1, 10.0.0.1"}, "127.0.0.1"),
    ):
        with app.test_request_context("/chat", headers=headers, environ_base={"REMOTE_ADDR": addr}):
            from flask import request

            assert session_identifier(request) == _create_identifier()
