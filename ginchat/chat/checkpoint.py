"""SQLite WAL checkpoints away from the event loop.

In WAL mode a commit only appends to the log; now and then the log is
copied back into the database file (a checkpoint), which ends in an fsync.
SQLite does that by itself inside whichever commit crosses the threshold,
and so inside the store greenlet, where an fsync on a busy disk would stop
every connection of the process for its whole length. Here a greenlet
asks a native thread (gevent's threadpool; sqlite3 releases the GIL) to
checkpoint every CHECKPOINT_INTERVAL seconds, and the connections' own
automatic checkpoint is kept only as a distant backstop (extensions.py)."""

import logging
import sqlite3

import gevent

from ginchat.extensions import db

log = logging.getLogger("ginchat.chat")

CHECKPOINT_INTERVAL = 1.0  # seconds


def sqlite_path(engine):
    """The database file of the app's engine, or None when it is not SQLite."""
    with engine.app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


def checkpoint_loop(engine, interval=CHECKPOINT_INTERVAL):
    path = sqlite_path(engine)
    if path is None:
        return
    pool = gevent.get_hub().threadpool
    state = {}

    def checkpoint():
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = sqlite3.connect(path, timeout=15, check_same_thread=False, isolation_level=None)
        return conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    failures = 0
    while True:
        gevent.sleep(interval)
        try:
            pool.apply(checkpoint)
            failures = 0
        except Exception as exc:  # the backstop still checkpoints; report and go on
            failures += 1
            if failures in (1, 10) or failures % 100 == 0:
                log.warning("SQLite checkpoint failed (%s: %s)", exc.__class__.__name__, exc)
