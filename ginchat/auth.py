"""The authentication interceptor: one ``before_request`` hook that resolves
the caller once per request and keeps it where the rest of the request reads
it (``flask_login.current_user`` / ``flask.g``), the Flask counterpart of a
Gin middleware plus Go's context-carried user.

- ``Authorization: Bearer <token>`` (or ``?token=`` on the WebSocket route)
  authenticates scripts; no CSRF token is needed then.
- Otherwise the Flask-Login session cookie authenticates browsers, and every
  state-changing request so authenticated must carry the CSRF token. The
  cookie names its login session (an ``AuthToken`` row) and carries that
  session's secret: it counts only while the session lives on the server, so
  a copy kept after logout is refused like no cookie at all.
- Views marked ``@public`` need no login; every other route answers 401.
"""

import hmac
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user
from flask_wtf.csrf import CSRFError

from ginchat import tokencache
from ginchat.errors import forbidden, unauthorized
from ginchat.extensions import csrf, db, login_manager
from ginchat.models.auth_token import AuthToken
from ginchat.models.user_basic import UserBasic, utcnow
from ginchat.settings import settings

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
WEBSOCKET_ENDPOINTS = frozenset(("chat.chat", "chat.chat_alias"))


def public(view):
    view.ginchat_public = True
    return view


def is_page_request():
    """Pages and form posts answer HTML; everything else answers JSON."""
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "ginchat_page", False))


def page(view):
    view.ginchat_page = True
    return view


# The session cookie's keys: the login session's id and its secret.
SESSION_ID = "sid"
SESSION_KEY = "sk"


@login_manager.user_loader
def load_user(user_id):
    """The cookie's user, if the login session the cookie names still lives."""
    user, row = AuthToken.resolve_cookie(session.get(SESSION_ID), session.get(SESSION_KEY))
    if user is None or str(user.id) != str(user_id):
        return None
    g.session_id = row.id
    return user


def bearer_token():
    return token_of(
        request.headers.get("Authorization", ""),
        request.args.get("token") if request.endpoint in WEBSOCKET_ENDPOINTS else None,
    )


def token_of(authorization, query_token):
    """The bearer token of a request: ``Authorization: Bearer <token>``, else
    the ``?token=`` of the WebSocket route (``query_token``; None elsewhere)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return token.strip() or None
    return query_token or None


def resolve_token(token, websocket):
    """(user, session id, session row or None) of a bearer token, or (None,
    None, None): the token cache first, then SQL (and the token is cached).
    The one rule for tokens, on every route and on both handshake paths.

    The WebSocket (``websocket``) needs the ids alone: its user is a
    ``CachedUser`` and its session is read in one query (a storm of
    thousands of first connections pays it each).
    Other routes get the account (a cached session was live a moment ago:
    see tokencache)."""
    cached = tokencache.lookup(token)
    if cached is not None:
        user_id, session_id = cached
        user = tokencache.CachedUser(user_id) if websocket else UserBasic.get_active(user_id)
        return (user, session_id, None) if user is not None else (None, None, None)
    if websocket:
        row = AuthToken.resolve_session(token)
        user = tokencache.CachedUser(row.user_id) if row is not None else None
    else:
        user, row = AuthToken.resolve(token)
    if user is None:
        return None, None, None
    tokencache.remember_later(token, row)
    return user, row.id, row


def allowed_origin(origin, req=None):
    """True when ``origin`` is this server itself (as ``req``, by default the
    current request, reached it) or listed in ALLOWED_ORIGINS."""
    if not origin:
        return True
    req = request if req is None else req
    own = f"{req.scheme}://{req.host}"
    if hmac.compare_digest(origin.lower(), own.lower()):
        return True
    extra = settings().allowed_origins
    listed = {o.strip().lower().rstrip("/") for o in extra.split(",") if o.strip()}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}".lower() in listed


def authenticate_request():
    """Resolve the caller; refuse what must be refused. Runs before every view."""
    g.auth_via = None
    g.token_row = None
    g.setdefault("session_id", None)  # the login session (AuthToken id) of the credential; the loader sets it
    if request.endpoint is None or request.endpoint == "static" or request.endpoint.startswith("flasgger."):
        return None
    view = current_app.view_functions.get(request.endpoint)

    token = bearer_token()
    if token is not None:
        user, session_id, row = resolve_token(token, websocket=request.endpoint in WEBSOCKET_ENDPOINTS)
        if user is None:
            raise unauthorized("the token is invalid, expired or revoked; log in again")
        # Flask-Login reads the request's user from g._login_user.
        g._login_user = user
        g.auth_via = "token"
        g.token_row = row
        g.session_id = session_id
    elif current_user.is_authenticated:
        g.auth_via = "cookie"
    elif "_user_id" in session:
        session.clear()  # the cookie of an ended session: the browser drops it

    # A browser on another site must not drive this one (login CSRF and the
    # WebSocket's cross-site hijacking): a foreign Origin is refused outright.
    if (request.method not in SAFE_METHODS or request.endpoint in WEBSOCKET_ENDPOINTS) and not allowed_origin(
        request.headers.get("Origin")
    ):
        raise forbidden("requests from another origin are not allowed")

    if g.auth_via == "cookie" and request.method not in SAFE_METHODS:
        csrf.protect()

    if getattr(view, "ginchat_public", False):
        return None
    if g.auth_via is None:
        if getattr(view, "ginchat_page", False):
            return redirect(url_for("pages.index", next=request.path))
        raise unauthorized("log in first: send the session cookie or Authorization: Bearer <Token>")
    return None


def init_app(app):
    app.before_request(authenticate_request)
    tokencache.init_app(app)


__all__ = ["public", "page", "init_app", "CSRFError", "is_page_request", "allowed_origin"]


def start_session(user, remote_addr):
    """Log ``user`` in on this browser (a fresh cookie session and its token):
    after a checked password, or right after registering."""
    session.clear()  # a new session on every login: no fixation
    login_user(user)
    user.login_time = utcnow()
    user.client_ip = (remote_addr or "")[:64]
    db.session.commit()
    # One login, one session record: the token and this cookie belong to it.
    token, cookie_key, row = AuthToken.issue(user, settings().token_ttl_days)
    tokencache.remember(token, row, verify=False)  # its first handshake needs no SQL
    session[SESSION_ID] = row.id
    session[SESSION_KEY] = cookie_key
    return token
