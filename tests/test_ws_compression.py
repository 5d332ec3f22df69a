"""The chat WebSocket as a browser opens it: the session cookie of a login,
its own Origin, and permessage-deflate offered (RFC 7692). WS_COMPRESSION
decides whether the offer is taken (off by default: BENCHMARKS.md); when it
is, every frame both ways is deflated and delivery stays exactly once. A
closed browser connection leaves nothing for the cycle collector."""

import base64
import collections
import gc
import json
import os
import socket
import time
import zlib

import gevent
import pytest
import requests

from helpers import PASSWORD, unique_name, wait_for

TAIL = b"\x00\x00\xff\xff"
OFFER = "permessage-deflate; client_max_window_bits"


class BrowserSocket:
    """A WebSocket client written on a plain socket, as a browser connects:
    Cookie, Origin, User-Agent and an offer of permessage-deflate. When the
    server accepts the offer, frames are deflated both ways (one zlib
    stream per direction, kept across messages, as browsers do)."""

    def __init__(self, server, path, headers):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{server.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *headers,
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            assert chunk, "closed during the handshake"
            data += chunk
        head, _, self.buf = data.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode().partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.deflate = "permessage-deflate" in self.headers.get("sec-websocket-extensions", "")
        self.out = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self.inflate = zlib.decompressobj(-15)
        self.compressed_in = 0  # deflated frames received

    def send(self, frame):
        payload = json.dumps(frame).encode()
        first = 0x81
        if self.deflate:
            payload = self.out.compress(payload) + self.out.flush(zlib.Z_SYNC_FLUSH)
            assert payload.endswith(TAIL)
            payload = payload[:-4]
            first |= 0x40
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        n = len(payload)
        head = bytes((first, 0x80 | n)) if n < 126 else bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
        self.sock.sendall(head + mask + masked)

    def _frame(self, timeout):
        self.sock.settimeout(timeout)
        while True:
            if len(self.buf) >= 2:
                n = self.buf[1] & 0x7F
                at = 2
                if n == 126:
                    n, at = int.from_bytes(self.buf[2:4], "big"), 4
                elif n == 127:
                    n, at = int.from_bytes(self.buf[2:10], "big"), 10
                if len(self.buf) >= at + n:
                    first, payload = self.buf[0], self.buf[at : at + n]
                    self.buf = self.buf[at + n :]
                    return first, payload
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def recv(self, timeout=5):
        """The next text frame as JSON (pings are answered on the way)."""
        while True:
            first, payload = self._frame(timeout)
            opcode = first & 0x0F
            if opcode == 0x9:
                self.sock.sendall(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("closed by the server")
            if first & 0x40:
                assert self.deflate, "a deflated frame without the extension"
                self.compressed_in += 1
                payload = self.inflate.decompress(payload + TAIL)
            return json.loads(payload)

    def recv_until(self, predicate, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.05, deadline - time.monotonic()))
            if predicate(frame):
                return frame

    def close(self):
        try:
            self.sock.sendall(b"\x88\x82\0\0\0\0\x03\xe8")
        except OSError:
            pass
        self.sock.close()


def browser_login(server, api):
    """A browser's login: the session cookie (and the user's id and token)."""
    name = api.register(unique_name("br"))
    session = requests.Session()
    r = session.post(f"{server.url}/user/findUserByNameAndPwd", data={"name": name, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    data = r.json()["Data"]
    return session.cookies.get("session"), data["ID"], data["Token"]


def browser_headers(server, cookie, offer=True):
    return [
        f"Cookie: session={cookie}",
        f"Origin: {server.url}",
        "User-Agent: GinChat test browser",
        *([f"Sec-WebSocket-Extensions: {OFFER}"] if offer else []),
    ]


def befriend(api, server, me_token, other_token, other_id):
    r = requests.post(
        f"{server.url}/contact/addfriend", data={"targetId": other_id}, headers={"Authorization": f"Bearer {me_token}"}
    )
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def deflating(make_server):
    return make_server(WS_COMPRESSION=True)


def test_the_offer_is_declined_by_default(server, api):
    cookie, me, token = browser_login(server, api)
    cookie2, other, token2 = browser_login(server, api)
    befriend(api, server, token, token2, other)
    ws = BrowserSocket(server, "/chat?events=1", browser_headers(server, cookie))
    try:
        assert ws.status == 101
        assert "sec-websocket-extensions" not in ws.headers
        ws.send(
            {"Type": 1, "TargetId": other, "Media": 1, "Content": "plain", "Url": "", "Amount": 0, "ClientMsgId": "c1"}
        )
        ack = ws.recv_until(lambda f: f.get("ClientMsgId") == "c1")
        assert ack["Content"] == "plain" and ack["Id"] > 0
        assert ws.compressed_in == 0
    finally:
        ws.close()


@pytest.mark.parametrize("path", ["cookie", "token"])
def test_deflated_frames_both_ways_exactly_once(deflating, api, path):
    """With WS_COMPRESSION on, a browser's deflated frames are read, its
    copies come deflated, its friend gets the message once, and a resend of
    the same ClientMsgId gets the stored copy again (both handshake paths:
    the cookie goes through Flask, a bearer token through the lean path)."""
    server = deflating
    from helpers import Api

    api = Api(server)
    cookie, me, token = browser_login(server, api)
    _, other, token2 = browser_login(server, api)
    befriend(api, server, token, token2, other)
    if path == "cookie":
        ws = BrowserSocket(server, "/chat?events=1", browser_headers(server, cookie))
    else:
        ws = BrowserSocket(server, f"/chat?token={token}", [f"Sec-WebSocket-Extensions: {OFFER}"])
    friend = BrowserSocket(server, f"/chat?token={token2}", [])
    try:
        assert ws.status == 101 and friend.status == 101
        assert ws.headers["sec-websocket-extensions"].startswith("permessage-deflate")
        assert not friend.deflate  # no offer, no extension
        for k in range(3):
            frame = {"Type": 1, "TargetId": other, "Media": 1, "Content": f"hello {k} " * 20, "Url": "", "Amount": 0}
            ws.send(dict(frame, ClientMsgId=f"cm{k}"))
        acks = [ws.recv_until(lambda f, k=k: f.get("ClientMsgId") == f"cm{k}") for k in range(3)]
        assert [a["Content"] for a in acks] == [f"hello {k} " * 20 for k in range(3)]
        assert ws.compressed_in >= 3
        got = [friend.recv_until(lambda f: f.get("Type") == 1) for _ in range(3)]
        assert [g["Id"] for g in got] == [a["Id"] for a in acks]
        ws.send({"Type": 1, "TargetId": other, "Media": 1, "Content": "hello 0 " * 20, "ClientMsgId": "cm0"})
        again = ws.recv_until(lambda f: f.get("ClientMsgId") == "cm0")
        assert again["Id"] == acks[0]["Id"]
        with pytest.raises(socket.timeout):
            friend.recv(timeout=0.5)  # the resend was not delivered again
    finally:
        ws.close()
        friend.close()


def test_a_closed_browser_connection_leaves_no_cycle(server, api):
    """Cookie handshakes (Flask's path, with the offer of compression): the
    connection's objects are freed by reference counting when it closes."""
    cookie, me, _ = browser_login(server, api)
    watched = {
        "ginchat.chat.connection.Connection",
        "simple_websocket.ws.Server",
        "flask.wrappers.Request",
        "flask.ctx.RequestContext",
        "flask.sessions.SecureCookieSession",
        "wsproto.WSConnection",
    }
    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            ws = BrowserSocket(server, "/chat?events=1", browser_headers(server, cookie))
            assert ws.status == 101
            assert wait_for(lambda: server.engine.client_map.get(me))
            ws.close()
        assert wait_for(lambda: not server.engine.client_map.get(me))
        gevent.sleep(0.2)  # the handlers' last steps after the close
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert {kind: left[kind] for kind in watched if left[kind]} == {}
