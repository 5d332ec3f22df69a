"""Test helpers: a live gevent server and a client that speaks GinChat."""

import itertools
import json
import os
import secrets
import time
import types

import gevent
import requests
import websocket

from ginchat import tls
from ginchat.server import make_server
from ginchat.settings import change as change_settings

_names = itertools.count(1)
PASSWORD = "secret-pw-1"

# Every WebSocket the helpers open; conftest.py's autouse fixture closes the
# ones a test opened when the test ends, and the rest when the session ends.
OPEN_SOCKETS = []


def connect(url, **kwargs):
    """A websocket-client connection, registered to be closed after the test."""
    conn = websocket.create_connection(url, **kwargs)
    OPEN_SOCKETS.append(conn)
    return conn


def close_sockets(keep=()):
    """Close every registered connection but those in ``keep``; a close waits
    at most a second for the server's answer."""
    kept = {id(conn) for conn in keep}
    for conn in [c for c in OPEN_SOCKETS if id(c) not in kept]:
        try:
            conn.close(timeout=1)
        except (OSError, websocket.WebSocketException):  # already broken: nothing left to close
            pass
    OPEN_SOCKETS[:] = [c for c in OPEN_SOCKETS if id(c) in kept]


def unique_name(prefix="u"):
    return f"{prefix}{next(_names)}_{secrets.token_hex(3)}"


class LiveServer:
    """The real gevent WSGI server on 127.0.0.1 and a free port; with
    ``https``, its https listener too (another free port; ``secure()`` is a
    server-like view of it for ``Api``)."""

    def __init__(self, app, https=False):
        self.app = app
        self.http = None
        self.https = None
        self.want_https = https

    def start(self):
        self.http = make_server(self.app, "127.0.0.1", 0)
        self.http.start()
        if self.want_https:
            self.ssl_context = tls.server_context(self.app)
            self.https = make_server(self.app, "127.0.0.1", 0, ssl_context=self.ssl_context)
            self.https.start()
            self.https_port = change_settings(self.app, HTTPS_PORT=self.https.server_port).https_port
            self.https_url = f"https://127.0.0.1:{self.https_port}"
            self.ca_file = os.path.join(self.app.instance_path, tls.TLS_DIR, "served-ca.crt")
            with open(self.ca_file, "wb") as fh:
                fh.write(tls.ca_certificate_pem(self.app))
        self.app.extensions["chat"].start()
        self.port = self.http.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        return self

    def secure(self):
        """This server as https://, for ``Api(server.secure())``."""
        return types.SimpleNamespace(
            url=self.https_url, ws_url=f"wss://127.0.0.1:{self.https_port}", ca_file=self.ca_file, app=self.app
        )

    def stop(self):
        for server in (self.http, self.https):
            if server is not None:
                server.stop(timeout=1)
        self.http = self.https = None

    @property
    def engine(self):
        return self.app.extensions["chat"]


class User:
    def __init__(self, api, data, password):
        self.api = api
        self.id = data["ID"]
        self.name = data["Name"]
        self.token = data["Token"]
        self.password = password

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path, **data):
        return self.api.post(path, token=self.token, **data)

    def get(self, path, **params):
        return self.api.get(path, token=self.token, **params)

    def ws(self, since=None, **kwargs):
        return self.api.ws(self, since=since, **kwargs)


class Api:
    def __init__(self, server):
        self.server = server
        self.url = server.url
        # https: the server's CA (a LiveServer's secure(), the gateway's).
        self.verify = getattr(server, "ca_file", None) or True

    # --- HTTP --------------------------------------------------------------------
    def post(self, path, token=None, headers=None, json_body=None, **data):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            return requests.post(self.url + path, json=json_body, headers=headers, timeout=10, verify=self.verify)
        return requests.post(self.url + path, data=data, headers=headers, timeout=10, verify=self.verify)

    def get(self, path, token=None, headers=None, **params):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.url + path, params=params, headers=headers, timeout=10, verify=self.verify)

    # --- users, friends, groups ------------------------------------------------------
    def register(self, name=None, password=PASSWORD):
        name = name or unique_name()
        r = self.post("/user/createUser", name=name, password=password, Identity=password)
        assert r.status_code == 201, r.text
        return name

    def login(self, name, password=PASSWORD):
        r = self.post("/user/findUserByNameAndPwd", name=name, password=password)
        assert r.status_code == 200, r.text
        return User(self, r.json()["Data"], password)

    def user(self, prefix="u"):
        return self.login(self.register(unique_name(prefix)))

    def befriend(self, a, b):
        r = a.post("/contact/addfriend", targetId=b.id)
        assert r.status_code == 200, r.text

    def group(self, owner, *members, name=None):
        r = owner.post("/contact/createCommunity", name=name or unique_name("g"))
        assert r.status_code == 201, r.text
        group = r.json()["Data"]
        for member in members:
            r = member.post("/contact/joinGroup", comId=group["ID"])
            assert r.status_code == 200, r.text
        return group

    # --- WebSocket ------------------------------------------------------------------
    def ws(self, user, since=None, path="/chat", **kwargs):
        url = f"{self.server.ws_url}{path}?token={user.token}"
        if since is not None:
            url += f"&since={since}"
        if self.verify is not True:
            kwargs.setdefault("sslopt", {"ca_certs": self.verify})
        return WsClient(connect(url, timeout=10, **kwargs))


class WsClient:
    """A websocket-client connection with JSON helpers."""

    def __init__(self, conn):
        self.conn = conn
        if conn not in OPEN_SOCKETS:  # made by websocket.create_connection directly
            OPEN_SOCKETS.append(conn)

    def send(self, **frame):
        self.conn.send(json.dumps(frame))

    def send_raw(self, text):
        self.conn.send(text)

    def recv(self, timeout=5):
        self.conn.settimeout(timeout)
        return json.loads(self.conn.recv())

    def recv_until(self, predicate, timeout=5):
        """Frames until one matches; returns (match, frames skipped)."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching frame in {timeout}s; got {skipped}")
            frame = self.recv(left)
            if predicate(frame):
                return frame, skipped
            skipped.append(frame)

    def messages(self, count, timeout=10):
        """Exactly ``count`` message frames (Type 1 or 2), in arrival order."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(got)} of {count} messages: {got[-3:]}")
            frame = self.recv(left)
            if frame.get("Type") in (1, 2):
                got.append(frame)
        return got

    def quiet(self, seconds=0.5):
        """Every frame that arrives within ``seconds`` (expected: none)."""
        frames = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return frames
            try:
                frames.append(self.recv(left))
            except websocket.WebSocketTimeoutException:
                return frames

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


def ws_events(user, server=None):
    """A connection opened with ?events=1 (presence and notices) to ``server``
    (a LiveServer or a multinode node; the user's own server by default)."""
    url = f"{(server or user.api.server).ws_url}/chat?token={user.token}&events=1"
    return WsClient(connect(url, timeout=10))


def until(conn, pred, timeout=10):
    """The first frame on ``conn`` that matches ``pred`` (others are skipped)."""
    return conn.recv_until(pred, timeout=timeout)[0]


def frames_of(conn, type_, seconds=0.6):
    """The frames of one Type that arrive within ``seconds`` (a quiet spell)."""
    return [f for f in conn.quiet(seconds) if f.get("Type") == type_]


def send_texts(conn, target, texts, type_=1):
    """Send text messages; the copies that come back, in order."""
    for text in texts:
        conn.send(Type=type_, TargetId=target, Content=text)
    return conn.messages(len(texts))


def wait_for(predicate, timeout=5, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        gevent.sleep(interval)
    return predicate()
