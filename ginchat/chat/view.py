"""The WebSocket route ``GET /chat`` (``Chat()`` in the Go GinChat) and the
check that runs before its handshake is accepted."""

from functools import wraps

from flask import Response, current_app, g, request
from flask_login import current_user
from simple_websocket import ConnectionClosed, Server

from ginchat.chat.connection import Connection
from ginchat.chat.websocket import decline_compression
from ginchat.errors import forbidden
from ginchat.extensions import db
from ginchat.limits import MAX_MSG_ID
from ginchat.server import WEBSOCKET_DONE
from ginchat.settings import settings
from ginchat.utils import params

TRUE = ("1", "true", "yes", "on")


def check_handshake():
    """Before the upgrade (flask-sock accepts the handshake as soon as the view
    runs): a ``userId`` must be the authenticated user, ``since`` a number."""
    if not current_user.is_authenticated:
        return  # the interceptor answers 401 for this route
    handshake_args(request.args, current_user.id)
    decline_compression(request.environ, settings().ws_compression)


def handshake_args(args, user_id):
    """(since or None, events) of a handshake's query ``args`` for ``user_id``,
    or an AppError: a ``userId`` must be that user, ``since`` a number."""
    claimed = args.get("userId")
    if claimed not in (None, "") and params.to_int("userId", claimed) != user_id:
        raise forbidden("userId is not the authenticated user")
    since = args.get("since")
    since = params.to_int("since", since, minimum=0, maximum=MAX_MSG_ID) if since not in (None, "") else None
    return since, args.get("events", "").lower() in TRUE


class Done(Response):
    """What a WebSocket view returns once the socket's life is over: pywsgi
    writes nothing more (the connection was the socket's)."""

    def __call__(self, environ, start_response):
        return []


def websocket_view(view):
    """The Flask view of a WebSocket route: what flask-sock's ``route`` does
    (the upgrade, ``view(ws)``, a close), without the response class that
    flask-sock defines anew in every request. That class closed over the
    socket, and a class is always a reference cycle, so every closed
    connection of Flask's path (browsers: the session cookie) left its
    Server and wsproto connection to the cycle collector (a test checks)."""

    @wraps(view)
    def websocket_route(*args, **kwargs):
        ws = Server(request.environ, **current_app.config.get("SOCK_SERVER_OPTIONS", {}))
        try:
            view(ws, *args, **kwargs)
        except ConnectionClosed:
            pass
        try:
            ws.close()
        except Exception:  # closed already, or the peer is gone
            pass
        return Done()

    return websocket_route


def chat(ws):
    """GET /chat. The interceptor has authenticated the caller and checked
    Origin and userId before the upgrade; the protocol is docs/PROTOCOL.md."""
    user_id = current_user.id
    since, events = handshake_args(request.args, user_id)
    # A connection lives for hours: give its database connection back to the
    # pool now (the engine opens short sessions of its own when it needs one).
    db.session.remove()
    try:
        engine = current_app.extensions["chat"]
        serve(engine, ws, user_id, request.remote_addr, g.get("session_id"), since, events)
    finally:
        request.environ[WEBSOCKET_DONE] = True


def serve(engine, ws, user_id, addr, session_id, since, events):
    """The connection's life, from the accepted handshake to its close: the
    replay of ``since``, then the receive loop (both handshake paths)."""
    engine.start()
    conn = Connection(engine, ws, user_id, addr or "", session_id, events)
    engine.attach(conn)
    try:
        if since is not None:
            engine.replay(conn, since)
        engine.receive_loop(conn)
    except ConnectionClosed:
        pass
    finally:
        engine.detach(conn)
        conn.release()
