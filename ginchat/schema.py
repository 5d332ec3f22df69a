"""The database schema on start: Alembic (through Flask-Migrate) brings the
database to the newest revision of migrations/, one node at a time, and the
message Id counter gets its row.

A database made before migrations (by ``create_all``, without an
alembic_version table) is stamped at the first revision, the schema of that
release, then upgraded like any other."""

import contextlib
import fcntl
import logging
import os
import time

from alembic import command
from alembic.runtime.migration import MigrationContext
from flask_migrate import Migrate
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from ginchat.extensions import db
from ginchat.models import message_table, msg_counter

log = logging.getLogger("ginchat.schema")

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
# The revision holding the schema that create_all made before migrations.
FIRST_REVISION = "0001"
# One name for the lock every node takes while it migrates (MariaDB's GET_LOCK
# name; PostgreSQL's advisory lock key is a number).
LOCK_NAME = "ginchat_schema"
PG_LOCK_KEY = 0x67696E63  # "ginc"
LOCK_WAIT_SECONDS = 600

migrate = Migrate(directory=MIGRATIONS)


def init_app(app):
    """Flask-Migrate's settings (and its `flask db` commands) for ``app``."""
    migrate.init_app(app, db, directory=MIGRATIONS)


def upgrade(app):
    """Bring the database to the newest revision (safe on every start, and
    when several nodes start at once), then make sure of the Id counter."""
    with app.app_context():
        with db.engine.connect() as conn, schema_lock(conn):
            config = migrate.get_config(MIGRATIONS)
            config.attributes["connection"] = conn
            tables = set(inspect(conn).get_table_names())
            conn.commit()
            if "alembic_version" not in tables and "user_basic" in tables:
                log.info("stamping a database made before migrations at revision %s", FIRST_REVISION)
                command.stamp(config, FIRST_REVISION)
                conn.commit()
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(config, "head")
            conn.commit()
            after = MigrationContext.configure(conn).get_current_revision()
            if after != before:  # once per database, whichever node (or worker) got the lock first
                log.info("database migrated from revision %s to %s", before, after)
        seed_counter()


def run_locked(app, work):
    """``work()`` in an app context while this node holds the schema lock:
    start-up steps that several nodes starting at once must take in turn."""
    with app.app_context():
        with db.engine.connect() as conn, schema_lock(conn):
            conn.commit()
            work()


def seed_counter():
    """The counter message Ids come from starts at the largest stored Id."""
    with db.engine.begin() as conn:
        if conn.execute(select(msg_counter.c.value).where(msg_counter.c.name == "message")).first():
            return
    try:
        with db.engine.begin() as conn:
            top = conn.execute(select(func.max(message_table.c.id))).scalar() or 0
            conn.execute(insert(msg_counter).values(name="message", value=top))
    except IntegrityError:  # another node made it first
        pass


@contextlib.contextmanager
def schema_lock(conn):
    """Hold the schema lock while the block runs: a session lock on MariaDB
    (GET_LOCK) and PostgreSQL (an advisory lock), a lock file beside a SQLite
    database (SQLite files are per host, and so are the nodes sharing one)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()  # a failed migration leaves PostgreSQL's transaction aborted
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            conn.commit()
    elif dialect in ("mysql", "mariadb"):
        got = conn.execute(text("SELECT GET_LOCK(:name, :wait)"), {"name": LOCK_NAME, "wait": LOCK_WAIT_SECONDS})
        if got.scalar() != 1:
            raise RuntimeError(f"another node held the schema lock for {LOCK_WAIT_SECONDS} s; is it stuck migrating?")
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
            conn.commit()
    else:
        with _file_lock(conn.engine.url.database):
            yield


@contextlib.contextmanager
def _file_lock(database):
    """An exclusive lock on ``<database>.schema-lock``, polled without
    blocking so that under gevent other greenlets run while it waits."""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    fd = os.open(database + ".schema-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{database}: another process held the schema lock for {LOCK_WAIT_SECONDS} s"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
