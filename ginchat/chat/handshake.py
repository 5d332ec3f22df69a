"""The WebSocket handshake of a bearer token, without Flask's request
pipeline.

A handshake through Flask pays for a request context, the session cookie,
URL matching, four ``before_request`` hooks and three ``after_request``
hooks whose response is never sent: for a storm of reconnections (9,000
clients after a restart) that is a large share of each handshake's cost.
This WSGI layer, just inside ProxyFix, takes a handshake only when it can
accept it by the very rules Flask applies (``auth.token_of``,
``auth.resolve_token``, ``auth.allowed_origin``, ``view.handshake_args``,
the request text check), and hands every other request to Flask
untouched. It never answers an error itself: a handshake it cannot accept
for any reason (no token, an unknown or ended token, a foreign Origin, a
bad ``since`` or ``userId``, a configuration it does not model) goes to
Flask, which refuses it as before. So it accepts a subset of what Flask
accepts and changes no answer.

Browsers authenticate the socket with the session cookie: a cookie that
Flask-Login would accept as it stands (its user, its session protection
identifier, its login session alive) is served here too; anything more
(a remember cookie, a changed identifier) goes to Flask."""

import logging
from hashlib import sha512

from flask.sessions import SecureCookieSessionInterface
from flask_login import utils as login_utils
from simple_websocket import Server

from ginchat.auth import SESSION_ID, SESSION_KEY, WEBSOCKET_ENDPOINTS, allowed_origin, resolve_token, token_of
from ginchat.chat.view import handshake_args, serve
from ginchat.chat.websocket import decline_compression
from ginchat.errors import AppError
from ginchat.extensions import db
from ginchat.models.auth_token import AuthToken
from ginchat.server import WEBSOCKET_DONE
from ginchat.settings import settings
from ginchat.utils.params import first_unstorable_field

log = logging.getLogger("ginchat.chat")


def session_identifier(request):
    """Flask-Login's session protection identifier of ``request``, as its
    ``_create_identifier`` makes it from the current request (a test checks
    that the two agree on a real login)."""
    address = request.headers.get("X-Forwarded-For", request.remote_addr)
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = request.headers.get("User-Agent")
    if agent is not None:
        agent = agent.encode("utf-8")
    return sha512(f"{address}|{agent}".encode()).hexdigest()


class HandshakePath:
    """WSGI middleware: bearer-token handshakes of the chat routes are served
    here, everything else by ``wsgi_app`` (Flask)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.accepted = 0  # handshakes served here (the rest went to Flask)
        app.extensions["handshake_path"] = self
        # The routes' paths as Flask matches them (plain paths, no variables).
        rules = app.url_map.iter_rules()
        self.paths = frozenset(r.rule for r in rules if r.endpoint in WEBSOCKET_ENDPOINTS and not r.arguments)

    def __call__(self, environ, start_response):
        if self.candidate(environ):
            with self.app.app_context():
                try:
                    accepted = self.accept(environ)
                except Exception:  # Flask meets the same fault and answers it
                    log.exception("handshake not taken on the fast path")
                    accepted = None
                if accepted is not None:
                    self.accepted += 1
                    self.run(environ, *accepted)
                    return []
        return self.wsgi_app(environ, start_response)

    def candidate(self, environ):
        """A WebSocket handshake of a chat route, as Flask's router would match
        it, in a configuration this path models (no host rules)."""
        config = self.app.config
        return (
            environ.get("REQUEST_METHOD") == "GET"
            and environ.get("PATH_INFO") in self.paths
            and not environ.get("SCRIPT_NAME")
            and environ.get("HTTP_UPGRADE", "").lower() == "websocket"
            and any(v.strip(" \t") == "upgrade" for v in environ.get("HTTP_CONNECTION", "").lower().split(","))
            # A malformed handshake is Flask's to refuse.
            and environ.get("HTTP_SEC_WEBSOCKET_VERSION") == "13"
            and bool(environ.get("HTTP_SEC_WEBSOCKET_KEY"))
            and not config.get("SERVER_NAME")
            and not config.get("TRUSTED_HOSTS")
        )

    def accept(self, environ):
        """(user id, session id, since, events, client address) when the
        handshake passes Flask's rules for a bearer token or for the session
        cookie, else None."""
        # Not put in the environ (werkzeug.request): that would make a cycle.
        request = self.app.request_class(environ, populate_request=False)
        args = request.args
        token = token_of(environ.get("HTTP_AUTHORIZATION", ""), args.get("token"))
        if first_unstorable_field(args) or not allowed_origin(environ.get("HTTP_ORIGIN"), request):
            return None
        try:
            if token is not None:
                user, session_id, _ = resolve_token(token, websocket=True)
                user_id = user.id if user is not None else None
            else:
                user_id, session_id = self.cookie_session(request)
            if user_id is None:
                return None
            since, events = handshake_args(args, user_id)
        except AppError:
            return None
        finally:
            # A connection lives for hours: nothing of the handshake may keep
            # a database connection from the pool (the engine opens short
            # sessions of its own).
            db.session.remove()
        return user_id, session_id, since, events, request.remote_addr

    def cookie_session(self, request):
        """(user id, login session id) of the browser's session cookie when
        Flask-Login would accept it as it stands, else (None, None): the
        cookie opened by Flask's own session interface, Flask-Login's
        session protection identifier equal to the one stored at login, and
        the login session the cookie names alive (``load_user``'s rule).
        Whatever Flask-Login would do more with (no user in the session, a
        remember cookie, a changed identifier, another session interface or
        identifier) is left to Flask."""
        app = self.app
        none = (None, None)
        # Flask's signed cookie, however it is written (security.SessionInterface
        # changes only its Secure flag): opened as Flask opens it.
        interface = app.session_interface
        if not isinstance(interface, SecureCookieSessionInterface) or (
            type(interface).open_session is not SecureCookieSessionInterface.open_session
        ):
            return none
        if not request.cookies.get(app.config["SESSION_COOKIE_NAME"]):
            return none
        session = app.session_interface.open_session(app, request)
        if not session or session.get("_user_id") is None:
            return none
        manager = app.login_manager
        mode = app.config.get("SESSION_PROTECTION", manager.session_protection)
        if mode in ("basic", "strong"):
            if manager._session_identifier_generator is not login_utils._create_identifier:
                return none
            if session.get("_id") != session_identifier(request):
                return none
        live = AuthToken.resolve_cookie_session(session.get(SESSION_ID), session.get(SESSION_KEY))
        if live is None or str(live.user_id) != str(session["_user_id"]):
            return none
        return live.user_id, live.id

    def run(self, environ, user_id, session_id, since, events, addr):
        """What flask-sock does with an accepted handshake: the upgrade, the
        connection's life (``serve``), a close; pywsgi writes nothing after."""
        try:
            decline_compression(environ, settings(self.app).ws_compression)
            ws = Server(environ, **self.app.config.get("SOCK_SERVER_OPTIONS", {}))
            try:
                serve(self.app.extensions["chat"], ws, user_id, addr, session_id, since, events)
            finally:
                try:
                    ws.close()
                except Exception:  # closed already, or the peer is gone
                    pass
        except Exception:
            log.exception("WebSocket of user %s from %s failed", user_id, addr)
        finally:
            environ[WEBSOCKET_DONE] = True
