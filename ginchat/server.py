"""The gevent WSGI server GinChat runs on (wsgi.py and the tests use it)."""

import logging
import socket
import ssl

from gevent.pywsgi import WSGIHandler, WSGIServer

WEBSOCKET_DONE = "ginchat.websocket_done"
HANDSHAKE_SECONDS = 10  # an https client has this long to finish the TLS handshake


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
        return super()._handle_client_error(ex)

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


def make_server(app, host, port, reuse_port=False, ssl_context=None):
    """The server of one listener; with ``ssl_context``, https (ginchat/tls.py)."""
    return WSGIServer(
        reuse_port_listener(host, port) if reuse_port else (host, port),
        app,
        handler_class=GinChatHandler,
        log=None,
        error_log=logging.getLogger("ginchat.wsgi"),
        **tls_arguments(ssl_context),
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
