"""The gevent WSGI server GinChat runs on (wsgi.py and the tests use it),
with the limits a client that never logs in still meets (issue 24, item 7):
HEADER_TIMEOUT for a request's line and headers, MAX_CONNECTIONS open at
once (a clean 503 past it), and a full descriptor table paused on, with one
log line instead of a traceback per failed accept."""

import errno
import logging
import resource
import socket
import ssl
import time

import gevent
from gevent.pywsgi import WSGIHandler, WSGIServer

from ginchat.settings import settings

WEBSOCKET_DONE = "ginchat.websocket_done"
HANDSHAKE_SECONDS = 10  # an https client has this long to finish the TLS handshake
log = logging.getLogger("ginchat.wsgi")

# Descriptors kept for everything but client connections (database and Redis
# pools aside): the listeners, the bus, log files, the hub's own.
FD_RESERVE = 64
ACCEPT_PAUSE = 0.5  # seconds without accepting after the descriptor table filled
LOG_EVERY = 10.0  # seconds: refusals are summed up in one line at most this often
REFUSAL_BODY = (
    b'{"Code":-1,"Msg":"the server is at its connection limit; try again shortly","Data":null,"Rows":null,"Total":null}'
)
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(REFUSAL_BODY), REFUSAL_BODY)
)
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
NO_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class GinChatHandler(WSGIHandler):
    """pywsgi's handler, told when flask-sock owned the connection.

    After a WebSocket ends, the TCP stream carries WebSocket frames, not
    HTTP: pywsgi must neither write a response onto it nor read the client's
    late frames as the next request. The chat view sets WEBSOCKET_DONE."""

    def _handle_client_error(self, ex):
        # A client that resets the connection in the middle of its request
        # is gone: no 400 to send, nothing to log (pywsgi prints a traceback).
        if isinstance(ex, ConnectionError):
            self.close_connection = True
            return None
        if isinstance(ex, TimeoutError):  # HEADER_TIMEOUT while reading the headers
            self.close_connection = True
            return ("408", TIMED_OUT)
        return super()._handle_client_error(ex)

    def handle_one_request(self):
        # HEADER_TIMEOUT: from now (a new connection, or the end of the
        # previous answer on a kept-alive one) until the headers are in.
        # A request line that does not come in time closes the connection
        # quietly (pywsgi's read_requestline), headers a 408.
        timeout = getattr(self.server, "header_timeout", None)
        if timeout:
            self.socket.settimeout(timeout)
        return super().handle_one_request()

    def read_request(self, raw_requestline):
        ok = super().read_request(raw_requestline)
        self.socket.settimeout(None)  # the body and a WebSocket take their time
        return ok

    def handle(self):
        # pywsgi writes a response's headers and body in two sends: with
        # Nagle's algorithm the second waits for the client's delayed ACK
        # (40 ms on Linux) on every keep-alive request, and a WebSocket frame
        # sent while an earlier one is unacknowledged waits the same way.
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        if not finish_handshake(self.socket):
            self.close_connection = True
            return
        try:
            super().handle()
        except ConnectionError:  # the peer went away while we answered
            pass

    def process_result(self):
        if self.environ.get(WEBSOCKET_DONE):
            self.headers_sent = True  # nothing goes out after the close frame
            self.close_connection = True
            return
        super().process_result()


def reuse_port_listener(host, port, backlog=1024):
    """A listening socket that shares its port with the other workers of this
    host (SO_REUSEPORT: the kernel spreads new connections over them)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def connection_limit(app):
    """MAX_CONNECTIONS: a number (0: none), or ``auto``: half the descriptors
    left under RLIMIT_NOFILE after the pools and FD_RESERVE (a WebSocket
    takes two: simple-websocket dup()s its socket)."""
    found = settings(app)
    if found.max_connections is not None:
        return found.max_connections
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return 0
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    database = int(options.get("pool_size", 5)) + int(options.get("max_overflow", 10))
    reserve = FD_RESERVE + found.redis_max_connections + database
    return max(1, (soft - reserve) // 2)


class ConnectionGate:
    """The client connections a node holds, over all its listeners (an HTTPS
    listener beside the HTTP one shares it), against MAX_CONNECTIONS."""

    def __init__(self, limit):
        self.limit = limit
        self.open = 0
        self.refused = 0  # since the last log line
        self.logged_at = 0.0

    def enter(self):
        if self.limit and self.open >= self.limit:
            self.refused += 1
            self._log_refusals()
            return False
        self.open += 1
        return True

    def leave(self):
        self.open -= 1

    def _log_refusals(self):
        now = time.monotonic()
        if now - self.logged_at >= LOG_EVERY:
            log.warning("refused %d connection(s): %d open, MAX_CONNECTIONS is %d", self.refused, self.open, self.limit)
            self.refused = 0
            self.logged_at = now

    @classmethod
    def of(cls, app):
        gate = app.extensions.get("connection_gate")
        if gate is None:
            gate = app.extensions["connection_gate"] = cls(connection_limit(app))
        return gate


class GinChatServer(WSGIServer):
    """pywsgi's server with the node's connection limits (``make_server``)."""

    def __init__(self, listener, application, gate, header_timeout=None, **kwargs):
        super().__init__(listener, application, **kwargs)
        self.gate = gate
        self.header_timeout = header_timeout
        self.accept_failures = 0  # since the last log line
        self.accept_logged_at = 0.0

    def do_read(self):
        try:
            accepted = super().do_read()
        except OSError as exc:
            if exc.errno not in NO_DESCRIPTORS:
                raise
            self._pause_accepting(exc)
            return None
        if accepted is not None and not self.gate.enter():
            self._refuse(accepted[0])
            return None
        return accepted

    def do_close(self, sock, *args):
        self.gate.leave()
        super().do_close(sock, *args)

    def _refuse(self, sock):
        """A clean 503 (plain HTTP only: a TLS client gets a close), sent
        without waiting, then the connection closes."""
        try:
            sock.settimeout(0.0)
            if not self.ssl_enabled:
                try:
                    sock.recv(65536)  # what the client sent already: closing on it would reset
                except BlockingIOError:
                    pass
                sock.send(REFUSAL)
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()

    def _pause_accepting(self, exc):
        """The descriptor table is full: stop accepting for ACCEPT_PAUSE
        (the kernel queues new connections meanwhile) with one log line per
        LOG_EVERY, instead of gevent's traceback on every try."""
        self.accept_failures += 1
        now = time.monotonic()
        if now - self.accept_logged_at >= LOG_EVERY:
            log.error(
                "cannot accept connections: %s (%d time(s)); %d open, MAX_CONNECTIONS is %d: "
                "lower it or raise the descriptor limit (ulimit -n)",
                exc.strerror or exc,
                self.accept_failures,
                self.gate.open,
                self.gate.limit,
            )
            self.accept_failures = 0
            self.accept_logged_at = now
        self.stop_accepting()
        gevent.spawn_later(ACCEPT_PAUSE, self._resume_accepting)

    def _resume_accepting(self):
        if self.started:
            self.start_accepting()


def make_server(app, host, port, reuse_port=False, listener=None, ssl_context=None, **kwargs):
    """GinChat's server for ``app`` on ``host``:``port`` (or on ``listener``),
    with its limits (HEADER_TIMEOUT, MAX_CONNECTIONS shared by every server
    of the app); with ``ssl_context``, https (ginchat/tls.py); ``kwargs`` go
    to gevent's WSGIServer."""
    if listener is None:
        listener = reuse_port_listener(host, port) if reuse_port else (host, port)
    return GinChatServer(
        listener,
        app,
        ConnectionGate.of(app),
        header_timeout=settings(app).header_timeout or None,
        handler_class=GinChatHandler,
        log=None,
        error_log=logging.getLogger("ginchat.wsgi"),
        **tls_arguments(ssl_context),
        **kwargs,
    )


def tls_arguments(ssl_context):
    """pywsgi's TLS arguments: the handshake is left to the connection's own
    greenlet (GinChatHandler.handle), where a client that fails it is dropped
    quietly instead of a traceback per browser that does not trust us yet."""
    return {"ssl_context": ssl_context, "do_handshake_on_connect": False} if ssl_context is not None else {}


def finish_handshake(sock):
    """The TLS handshake of an https connection (True when done; http: nothing
    to do). A peer that fails it, or stays silent HANDSHAKE_SECONDS, is dropped."""
    if not isinstance(sock, ssl.SSLSocket):
        return True
    timeout = sock.gettimeout()
    try:
        sock.settimeout(HANDSHAKE_SECONDS)
        sock.do_handshake()
        sock.settimeout(timeout)
        return True
    except (OSError, ValueError):  # ssl.SSLError and timeouts are OSErrors
        try:
            sock.close()
        except OSError:
            pass
        return False
