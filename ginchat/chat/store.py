"""The message store: one greenlet takes the messages that clients sent
from a bounded queue and commits them in batches (a message's Id and Seq
are assigned there), then hands each stored message to ``on_stored`` (the
engine gives it to the bus, for delivery here and on the other nodes).

On SQLite the batch is written by a native thread (gevent's threadpool)
over a connection of its own: sqlite3 releases the GIL, so a commit (an
append to the log, now and then an fsync) no longer stops every other
connection of the node. The store greenlet waits for the thread and then
delivers, so a message is still stored before it is delivered, and batches
still go one at a time in the order they came. The other databases' drivers
wait for the network through gevent and need no thread.

Group commit (STORE_WINDOW_MS): while messages flow, the store waits a
moment for more before it commits. Each transaction has a cost of its own
(the commit, the id counter, the thread hand-off on SQLite, a round trip
and a log flush on a database server) that one message alone pays in
full; at 1,000 messages a second a window of 2 ms shares it among a few.
A message that comes after a quiet spell (no batch within the window) is
committed at once, so an idle server adds no latency."""

import logging
import time

import gevent
import gevent.queue
from sqlalchemy import create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import StaticPool

from ginchat.chat.frames import dumps, error
from ginchat.extensions import db
from ginchat.models import message as messages

log = logging.getLogger("ginchat.chat")

STORE_BATCH = 256  # messages committed in one transaction at most
STORE_QUEUE = 10000  # messages waiting for storage before senders wait


def database_unavailable(exc):
    """The database cannot be reached or used just now (every message of the
    batch would fail alike), as opposed to refusing a message."""
    if isinstance(
        exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
    ):
        return True
    return bool(getattr(exc, "connection_invalidated", False))


def refused_data(exc):
    """The database (or its driver) refused a value of the message."""
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        exc = exc.orig or exc
    return isinstance(exc, (sa_exc.DataError, sa_exc.IntegrityError, UnicodeError, ValueError, TypeError))


class Store:
    def __init__(self, app, on_stored, stats=None):
        """``on_stored(frame, text)`` gets every stored message, in Id order;
        ``stats`` (a dict) counts "batches" and "stored"."""
        self.app = app
        self.on_stored = on_stored
        self.stats = {"batches": 0, "stored": 0} if stats is None else stats
        self.queue = gevent.queue.Queue(STORE_QUEUE)  # NewMessages, in the order they came
        self.seq_cache = messages.SeqCache()  # each conversation's newest Seq (skips a query per batch)
        self.storing = None  # the batch being committed (drain waits for it)
        self.writer = None  # SQLite: the engine the threadpool writes with (see writer_engine)
        self.window = max(0.0, float(self.app.config.get("STORE_WINDOW_MS", 0) or 0)) / 1000.0
        self.last_batch = float("-inf")  # monotonic time the last batch was taken

    def pending(self):
        """Messages waiting for storage or being stored."""
        return self.queue.qsize() + len(self.storing or ())

    def drain(self, timeout):
        """Wait until the queue is empty and no batch is being committed."""
        deadline = time.monotonic() + timeout
        while not self.queue.empty() or self.storing is not None:
            if time.monotonic() > deadline:
                log.error("shutdown: %d messages still unstored after %.0f s", self.queue.qsize(), timeout)
                return False
            gevent.sleep(0.01)
        return True

    def writer_engine(self):
        """SQLite (a file): an engine of one connection for the store alone,
        used by one native thread at a time; None for the other databases
        (and for an in-memory SQLite, which a second connection would not see)."""
        with self.app.app_context():
            url = db.engine.url
            options = self.app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        connect_args = dict(options.get("connect_args") or {}, check_same_thread=False)
        connect_args.setdefault("timeout", 15)
        engine = create_engine(url, poolclass=StaticPool, connect_args=connect_args)
        with engine.connect():  # connect (and initialise the dialect) here, on the loop's thread
            pass
        return engine

    def run(self):
        queue = self.queue
        try:
            self.writer = self.writer_engine()
        except Exception:  # the store works on the loop's thread as before
            log.exception("no SQLite writer thread; storing on the event loop")
            self.writer = None
        while True:
            batch = [queue.get()]
            self.storing = batch  # drain waits for these from now on
            now = time.monotonic()
            if self.window and now - self.last_batch < self.window:
                self._gather(batch, now + self.window)
            self.last_batch = now
            while len(batch) < STORE_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                self._store(batch)
            except Exception:  # never let the store die: report and go on
                log.exception("storing a batch of %d messages failed", len(batch))
                self._fail(batch, "the message could not be stored; send it again")
            finally:
                self.storing = None

    def _gather(self, batch, deadline):
        """Group commit: more of the flowing messages join ``batch`` until
        ``deadline`` or a full batch."""
        queue = self.queue
        while len(batch) < STORE_BATCH:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                batch.append(queue.get(timeout=left))
            except gevent.queue.Empty:
                return

    def _store(self, batch):
        now = int(time.time() * 1000)
        for item in batch:
            item.create_time = now
        try:
            if self.writer is not None:
                rows, dupes = gevent.get_hub().threadpool.apply(self._write, (batch,))
            else:
                with self.app.app_context(), db.engine.begin() as conn:
                    rows, dupes = messages.store_batch(conn, batch, self.seq_cache)
        except Exception as exc:
            if database_unavailable(exc):
                log.error("database unavailable, %d messages refused: %s", len(batch), exc.__class__.__name__)
                self._fail(batch, "the database is unavailable; the message was not stored, send it again")
            elif len(batch) == 1:
                self._refuse(batch[0], exc)
            else:
                # One message's fault fails that message alone: halve the batch
                # until the refused ones stand alone (log2(batch) rounds at most).
                half = len(batch) // 2
                self._store(batch[:half])
                self._store(batch[half:])
            return
        self.stats["batches"] += 1
        self.stats["stored"] += len(rows)
        frames = self._frames(rows)
        for index, row in dupes.items():
            # A resend of a stored message: the sender gets the stored copy again.
            batch[index].conn.put(row["id"], dumps(messages.to_frame(row)))
        on_stored = self.on_stored
        for frame in frames:
            on_stored(frame, dumps(frame))

    def _frames(self, rows):
        """The stored rows as frames; replies get their quotes (read from SQL)."""
        if not any(row.get("reply_to") for row in rows):
            return [messages.to_frame(row) for row in rows]
        try:
            with self.app.app_context():
                return messages.frames_of(rows)
        except Exception:  # stored all the same: the quote comes with history
            log.exception("reading the quotes of %d stored messages failed", len(rows))
            return [messages.to_frame(row) for row in rows]

    def _write(self, batch):
        """In a native thread: one transaction (the store greenlet waits for it)."""
        with self.writer.begin() as conn:
            return messages.store_batch(conn, batch, self.seq_cache)

    def _fail(self, batch, msg):
        for item in batch:
            item.conn.put(None, error(503, msg, item.client_msg_id))

    def _refuse(self, item, exc):
        """The database refused this one message: its sender alone hears it."""
        if refused_data(exc):
            log.warning(
                "message of user %s to %s refused by the database: %s",
                item.user_id,
                item.target_id,
                exc.__class__.__name__,
            )
            code, msg = 400, "the database cannot store this message (is its text valid Unicode?); it was not stored"
        else:
            log.error("storing a message of user %s failed", item.user_id, exc_info=exc)
            code, msg = 500, "the message could not be stored; the server log has the details"
        item.conn.put(None, error(code, msg, item.client_msg_id))
