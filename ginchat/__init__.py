"""GinChat: a self-hosted instant messenger (a Python port of the Go/Gin GinChat).

``create_app`` reads as the table of contents (the Go project's main.go).
"""

import logging
import os
import secrets

import click
import gevent
from flask import Flask, flash, render_template, request
from flask.cli import AppGroup
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ginchat import auth, i18n, schema, tls
from ginchat.apidocs import DEFINITIONS, RESPONSES
from ginchat.chat.engine import ChatEngine
from ginchat.chat.websocket import InlineReader
from ginchat.config import Config
from ginchat.domain import calls, default_groups
from ginchat.domain.admin import make_admin_by_name
from ginchat.errors import AppError
from ginchat.extensions import csrf, db, login_manager, redis_handle, sock, swagger
from ginchat.router import register_routes
from ginchat.security import init_app as init_security
from ginchat.security import multi_node_reason, security_headers
from ginchat.settings import load as load_settings
from ginchat.settings import settings
from ginchat.utils import params, resp
from ginchat.utils.ratelimit import RateLimiter

log = logging.getLogger("ginchat")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(overrides=None):
    app = Flask(
        __name__,
        instance_path=os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    load_config(app, overrides)
    app.json.sort_keys = False  # keep the envelope's Code, Msg, Data, Rows, Total order
    configure_logging(app)
    tls.init_app(app)  # before the database: a bad certificate stops the start at once
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security(app)
    init_database(app)
    start_services(app)
    return app


# --- configuration -------------------------------------------------------------
def load_config(app, overrides):
    app.config.from_object(Config)
    app.config.from_prefixed_env("GINCHAT")
    if overrides:
        app.config.update(overrides)
    if app.config.get("INSTANCE_PATH"):
        app.instance_path = app.config["INSTANCE_PATH"]
    try:
        os.makedirs(app.instance_path, exist_ok=True)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = instance_secret(app.instance_path)
            app.config["SECRET_KEY_GENERATED"] = True
    except OSError as exc:  # one line saying what to do, not a traceback
        raise SystemExit(
            f"GinChat cannot write its instance folder {app.instance_path} ({exc.strerror or exc}): make it "
            "writable by this user, or set GINCHAT_INSTANCE_PATH to a writable folder"
        ) from None
    try:
        app.config["CALL_SETTINGS"] = calls.settings(app.config)  # bad ICE_SERVERS or CALL_ settings stop the start
    except ValueError as exc:
        raise SystemExit(f"GinChat cannot start: {exc}") from None
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config.get("SQLALCHEMY_DATABASE_URI"), app.instance_path)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
    )
    upload = str(app.config["UPLOAD_FOLDER"])
    if not os.path.isabs(upload):
        app.config["UPLOAD_FOLDER"] = os.path.join(ROOT, upload)
    found = load_settings(app)  # every setting parsed once: a bad value stops the start here
    check_secret_key(app.config, found)
    default_groups.setting_names(found.default_groups)  # a bad group name stops the start too
    if found.upload_storage == "folder" and multi_node_reason(found):
        log.warning(
            "UPLOAD_STORAGE=folder with several nodes (%s): every node must share UPLOAD_FOLDER %s, "
            "or set GINCHAT_UPLOAD_STORAGE=db",
            multi_node_reason(found),
            found.upload_folder,
        )
    app.config["MAX_CONTENT_LENGTH"] = int(found.max_upload_mb * 1024 * 1024) + 64 * 1024
    app.config["SOCK_SERVER_OPTIONS"] = {
        # A client that answers no ping for this long is dropped: half the
        # heartbeat timeout, so a dead peer goes within HEARTBEAT_TIMEOUT.
        "ping_interval": max(1.0, found.heartbeat_timeout / 2),
        # Frames above MAX_FRAME_BYTES get an error frame; only beyond this hard
        # cap (which bounds the memory one frame can take) is the socket closed, 1009.
        "max_message_size": found.max_frame_bytes * 16,
        # No reader greenlet per socket: the chat view's own greenlet reads
        # (ginchat/chat/websocket.py, InlineReader).
        "thread_class": InlineReader,
    }
    if str(app.config.get("PREFERRED_URL_SCHEME", "http")) == "https":
        app.config["SESSION_COOKIE_SECURE"] = True


def check_secret_key(config, found):
    """The generated key (instance/secret_key) is the development key: it is
    random, but each instance folder makes its own, so two nodes would sign
    with different keys and silently drop each other's bus packets and
    sessions. A multi-node setup (a bus, and a shared database or Redis, or
    a LAN broadcast) must be given one key: refuse to start without it."""

    reason = multi_node_reason(found)
    key = str(config["SECRET_KEY"])
    if config.get("SECRET_KEY_GENERATED"):
        if reason:
            raise RuntimeError(
                f"GINCHAT_SECRET_KEY is not set, but this looks like one of several nodes ({reason}): "
                "every node would make its own key and they would drop each other's bus packets. "
                "Set GINCHAT_SECRET_KEY to the same long random string on every node "
                "(python3 -c 'import secrets; print(secrets.token_hex(32))'), or GINCHAT_BUS=none for one node."
            )
        log.warning(
            "using the development key of %s (GINCHAT_SECRET_KEY is not set): fine for one node; "
            "set GINCHAT_SECRET_KEY, the same on every node, before adding another",
            "instance/secret_key",
        )
    elif len(key) < 16 and not config.get("TESTING"):
        raise RuntimeError(
            "GINCHAT_SECRET_KEY is too short: use at least 16 random characters "
            "(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )


def instance_secret(path):
    """A random key made once per instance folder, so no known default exists."""
    key_file = os.path.join(path, "secret_key")
    try:
        with open(key_file) as fh:
            key = fh.read().strip()
            if key:
                return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_uri(uri, instance_path):
    """The SQLAlchemy URL for a configured one (or the default SQLite file)."""
    if not uri:
        return "sqlite:///" + os.path.join(instance_path, "ginchat.db")
    # Bare scheme names get the drivers that requirements.txt installs.
    for bare, full in (
        ("mysql://", "mysql+pymysql://"),
        ("mariadb://", "mysql+pymysql://"),
        ("postgres://", "postgresql+psycopg://"),
        ("postgresql://", "postgresql+psycopg://"),
    ):
        if uri.startswith(bare):
            uri = full + uri[len(bare) :]
    if uri.startswith("mysql+pymysql://") and "charset=" not in uri:
        uri += ("&" if "?" in uri else "?") + "charset=utf8mb4"
    return uri


def engine_options(uri, extra):
    options = {"pool_pre_ping": True}
    if uri.startswith("sqlite"):
        options["connect_args"] = {"timeout": 15}
        # A local file has no server to lose: a ping would be a SELECT 1 on
        # every checkout (every request and handshake) for nothing.
        options["pool_pre_ping"] = False
    else:
        options.update(pool_size=10, max_overflow=40, pool_recycle=1800)
        if uri.startswith("mysql"):
            options["isolation_level"] = "READ COMMITTED"
    options.update(extra or {})
    return options


def configure_logging(app):
    level = getattr(logging, settings(app).log_level.upper(), logging.INFO)
    root = logging.getLogger("ginchat")
    root.setLevel(level)
    if not root.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        worker = settings(app).worker_index
        who = f" [worker {worker}]" if worker is not None else ""
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s{who} %(name)s: %(message)s"))
        root.addHandler(handler)


# --- extensions -------------------------------------------------------------
SWAGGER_TEMPLATE = {
    "swagger": "2.0",
    "info": {
        "title": "GinChat API",
        "version": "1.0",
        "description": (
            "Every JSON answer is the envelope {Code, Msg, Data, Rows, Total}: Code 0 on success, "
            "-1 on failure, with the HTTP status telling what happened. Parameters come from the "
            "form body, the query string or a JSON body. Scripts authenticate with "
            "`Authorization: Bearer <Token>` (Token from the login answer); browsers with the "
            "session cookie plus the CSRF token (`X-CSRFToken`) on state-changing requests.\n\n"
            "Live chat runs over the WebSocket `GET /chat` (alias `/user/sendUserMsg`): its frames, "
            "errors, close codes and `?since=` replay are described in docs/PROTOCOL.md."
        ),
    },
    "securityDefinitions": {
        "Bearer": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "description": "Bearer <Token>",
        }
    },
    "definitions": {},
}


def register_extensions(app):
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "pages.index"
    csrf.init_app(app)
    sock.init_app(app)
    redis_handle.init_app(app)
    i18n.init_app(app)
    app.config["SWAGGER"] = {
        "title": "GinChat API",
        "uiversion": 3,
        "specs_route": "/swagger/",
        "static_url_path": "/flasgger_static",
        "specs": [
            {
                "endpoint": "apispec",
                "route": "/swagger/apispec.json",
                "rule_filter": lambda rule: True,
                "model_filter": lambda tag: True,
            }
        ],
        "headers": [],
        "hide_top_bar": True,
        "auth": {},  # the page's script reads it: unset, it says "None" (a ReferenceError)
    }
    template = dict(SWAGGER_TEMPLATE, definitions=DEFINITIONS, responses=RESPONSES)
    swagger.template = template
    swagger.init_app(app)


def register_blueprints(app):
    auth.init_app(app)
    params.init_app(app)  # text no database can store is a 400 on every route
    register_routes(app)


# --- errors: JSON for the API, HTML for the pages ------------------------------
def wants_html():
    if request.endpoint is not None:
        return auth.is_page_request()
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]


def register_errorhandlers(app):
    @app.errorhandler(AppError)
    def app_error(exc):
        db.session.rollback()
        if wants_html():
            flash(i18n.translated(exc.msg), "error")
            response = render_template("error.html", status=exc.status, msg=i18n.translated(exc.msg)), exc.status
        else:
            response = resp.fail(exc.status, exc.msg)
        retry_after = getattr(exc, "retry_after", None)  # rate limits say when to come back
        if not retry_after:
            return response
        hold_refusal(retry_after)
        return response + ({"Retry-After": str(retry_after)},)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        msg = f"CSRF check failed: {exc.description} Send the X-CSRFToken header or use a bearer token."
        if wants_html():
            return render_template("error.html", status=400, msg=msg), 400
        return resp.fail(400, msg)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        msg = exc.description or exc.name
        if exc.code == 413:
            msg = f"the request is larger than the {settings(app).max_upload_mb:g} MiB limit"
        if wants_html():
            return render_template("error.html", status=exc.code, msg=i18n.translated(msg)), exc.code
        response = resp.fail(exc.code or 500, msg)
        allow = dict(exc.get_headers()).get("Allow")
        return response + ({"Allow": allow},) if allow else response  # a 405 says what is allowed

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_html():
            return render_template("error.html", status=500, msg=i18n.translated("internal error")), 500
        return resp.fail(500, "internal error; the server log has the details")

    app.after_request(security_headers)


def hold_refusal(retry_after):
    """A request past a rate limit waits RATE_LIMIT_DELAY (at most its
    Retry-After) before its 429, its database connection given back first:
    a flood of refused requests on one connection slows to the pace of the
    answers, and a waiting greenlet costs the event loop nothing."""
    delay = min(settings().rate_limit_delay, float(retry_after))
    if delay > 0:
        db.session.remove()
        gevent.sleep(delay)


def register_security(app):
    """Trusted proxies, the session cookie's Secure flag (see ginchat/security.py)."""
    init_security(app)


def register_commands(app):
    @app.cli.command("init-db")
    def init_db_command():
        """Bring the database to the newest schema (every start does it too)."""
        init_database(app)
        print("tables ready")

    group = AppGroup("ginchat", help="Running the server: administrators.")

    @group.command("make-admin")
    @click.argument("name")
    def make_admin_command(name):
        """Make the account NAME an administrator (the first one, or a lost one)."""
        try:
            user = make_admin_by_name(name)
        except AppError as exc:
            raise click.ClickException(exc.msg) from None
        print(f"{user.name} (ID {user.id}) is an administrator")

    @group.command("tls-cert")
    @click.argument("names", nargs=-1, required=True)
    @click.option("--out", default=".", show_default=True, help="folder for ginchat.crt and ginchat.key")
    def tls_cert_command(names, out):
        """A certificate for NAMES (a gateway's names and addresses) signed by GinChat's CA."""
        chain, key = tls.issue(app.config, app.instance_path, names, out)
        print(f"{chain} (certificate, then the CA) and {key} (private key, mode 0600)")

    app.cli.add_command(group)


def init_database(app):
    schema.init_app(app)
    schema.upgrade(app)
    schema.run_locked(app, default_groups.apply_setting)  # DEFAULT_GROUPS, once per name


def start_services(app):
    """The chat engine and the multi-node bus; the greenlets start on first use
    of the server (wsgi.py or the test fixtures call ``app.extensions['chat'].start()``)."""

    RateLimiter(app)
    ChatEngine(app)
