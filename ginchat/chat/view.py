"""The WebSocket route ``GET /chat`` (``Chat()`` in the Go GinChat) and the
check that runs before its handshake is accepted."""

from flask import current_app, g, request
from flask_login import current_user
from simple_websocket import ConnectionClosed

from ginchat.chat.connection import Connection
from ginchat.errors import forbidden
from ginchat.extensions import db
from ginchat.server import WEBSOCKET_DONE
from ginchat.utils import params

TRUE = ("1", "true", "yes", "on")


def check_handshake():
    """Before the upgrade (flask-sock accepts the handshake as soon as the view
    runs): a ``userId`` must be the authenticated user, ``since`` a number."""
    if not current_user.is_authenticated:
        return  # the interceptor answers 401 for this route
    user_id = request.args.get("userId")
    if user_id not in (None, "") and params.to_int("userId", user_id) != current_user.id:
        raise forbidden("userId is not the authenticated user")
    since = request.args.get("since")
    if since not in (None, ""):
        params.to_int("since", since, minimum=0, maximum=2**62)


def chat(ws):
    """GET /chat. The interceptor has authenticated the caller and checked
    Origin and userId before the upgrade; the protocol is docs/PROTOCOL.md."""
    engine = current_app.extensions["chat"]
    engine.start()
    since = request.args.get("since", type=int)
    events = request.args.get("events", "").lower() in TRUE
    user_id = current_user.id
    session_id = g.get("session_id")
    # A connection lives for hours: give its database connection back to the
    # pool now (the engine opens short sessions of its own when it needs one).
    db.session.remove()
    conn = Connection(engine, ws, user_id, request.remote_addr or "", session_id, events)
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
        request.environ[WEBSOCKET_DONE] = True
