"""SQLite WAL checkpoints away from the event loop.

In WAL mode a commit only appends to the log; now and then the log is
copied back into the database file (a checkpoint), which ends in an fsync.
SQLite does that by itself inside whichever commit crosses the threshold,
and so inside the store greenlet, where an fsync on a busy disk would stop
every connection of the process for its whole length. Here a greenlet
asks a native thread (gevent's threadpool; sqlite3 releases the GIL) to
checkpoint every CHECKPOINT_INTERVAL seconds while messages are written,
and every IDLE_INTERVAL when nothing was, and the connections' own
automatic checkpoint is kept only as a distant backstop (extensions.py).

Small and often beats large and rare: the fsync that ends a checkpoint
flushes every page copied since the last one, and while it runs the
store's writes to the log wait on the file system (ext4 seen here: a
checkpoint a second, ~15 pages of log a message at 1,000 msg/s, held the
store for 20-25 ms once a second, the p99 of delivery). A tenth of a
second keeps each flush to a few milliseconds (BENCHMARKS.md)."""

import logging
import sqlite3

import gevent

from ginchat.extensions import db

log = logging.getLogger("ginchat.chat")

CHECKPOINT_INTERVAL = 0.1  # seconds between checkpoints while the log grows
IDLE_INTERVAL = 1.0  # seconds between checkpoints after one that found nothing new


def sqlite_path(app):
    """The database file of the app, or None when it is not SQLite."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


def checkpoint_loop(app, interval=CHECKPOINT_INTERVAL, idle_interval=IDLE_INTERVAL, sleep=None, pool=None):
    """Checkpoint the app's SQLite file for ever (nothing for other
    databases). ``sleep`` and ``pool`` (gevent's and the hub's threadpool by
    default) are for tests, which drive the loop step by step."""
    path = sqlite_path(app)
    if path is None:
        return
    sleep = sleep or gevent.sleep
    pool = pool or gevent.get_hub().threadpool
    state = {}

    def checkpoint():
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = sqlite3.connect(path, timeout=15, check_same_thread=False, isolation_level=None)
        return conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    failures = 0
    previous = None  # the last result: (busy, frames in the log, frames copied)
    delay = idle_interval
    while True:
        sleep(delay)
        try:
            result = tuple(pool.apply(checkpoint))
            failures = 0
        except Exception as exc:  # the backstop still checkpoints; report and go on
            failures += 1
            if failures in (1, 10) or failures % 100 == 0:
                log.warning("SQLite checkpoint failed (%s: %s)", exc.__class__.__name__, exc)
            delay = idle_interval
            continue
        # The same result twice: nothing was written meanwhile.
        delay = idle_interval if result == previous else interval
        previous = result
