"""Workarounds for simple-websocket under gevent, kept apart from the
connection logic: whole, serialised sends; reading in the connection's own
greenlet; a quiet close; and the raw socket and frame encoding that let a
frame go to the kernel without a writer greenlet."""

import ssl

import gevent.lock
from simple_websocket import ConnectionClosed


class SerialSocket:
    """The connection's socket with whole, one-at-a-time sends.

    simple-websocket's reader greenlet answers pings and close frames with
    ``sock.send`` while our writer sends messages; a plain ``send`` may also
    write only part of a large frame. Every send here is a ``sendall`` under
    one lock, so frames are never cut or interleaved."""

    __slots__ = ("_lock", "_sock")

    def __init__(self, sock):
        self._sock = sock
        self._lock = gevent.lock.Semaphore()

    def send(self, data):
        with self._lock:
            self._sock.sendall(data)
        return len(data)

    sendall = send

    def __getattr__(self, name):
        return getattr(self._sock, name)


class InlineReader:
    """simple-websocket's reader "thread", never started: the connection's own
    greenlet reads the socket in ``Connection.receive`` instead, which saves a
    greenlet per connection and two greenlet switches per frame received.
    Set as the ``thread_class`` of SOCK_SERVER_OPTIONS; a WebSocket used
    without a Connection must not get it."""

    def __init__(self, target=None, *args, **kwargs):
        self.name = "inline reader (_thread)"

    def start(self):
        pass

    def is_alive(self):
        return False

    def join(self, timeout=None):
        pass


def quiet_close(close):
    """simple-websocket's reader greenlet calls ``close`` on a ping timeout,
    which raises (unhandled, printed) when the connection is closed already."""

    def quiet(reason=None, message=None):
        try:
            close(reason, message)
        except ConnectionClosed:
            pass

    return quiet


def encode_text(text):
    """``text`` as one unmasked WebSocket text frame (what a server sends)."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


def decline_compression(environ, compression):
    """Before the handshake is answered: with WS_COMPRESSION off, the client's
    offer of extensions is taken out of the request, so simple-websocket
    (which accepts permessage-deflate whenever it is offered) answers
    without it and the client sends and receives plain frames."""
    if not compression:  # the WS_COMPRESSION setting
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


def socket_extensions(ws):
    """The WebSocket extensions negotiated (permessage-deflate, say)."""
    try:
        return ws.ws.connection._proto.extensions
    except AttributeError:
        return ["unknown"]  # cannot tell: let wsproto encode every frame


def raw_socket(serial):
    """The non-blocking OS-level socket under gevent's, for sends that must
    not wait (None when there is no such thing: then every frame is queued).
    Never under a TLS socket: bytes written there would skip the encryption."""
    sock = getattr(serial, "_sock", None)
    if isinstance(sock, ssl.SSLSocket):
        return None
    raw = getattr(sock, "_sock", None)
    try:
        if raw is not None and raw.gettimeout() == 0.0:
            return raw
    except OSError:
        pass
    return None
