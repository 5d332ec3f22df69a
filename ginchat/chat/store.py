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
committed at once, so an idle server adds no latency.

SQLite's full-text index follows from behind (models/search_index.py):
between batches, the store indexes the messages stored since it last did,
when INDEX_AT of its own are waiting or INDEX_EVERY seconds have passed,
many at once (a few microseconds each, where the insert trigger it
replaces cost tens in every commit). A search indexes what is left first."""

import contextlib
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
from ginchat.models import message_store, search_index
from ginchat.settings import settings

log = logging.getLogger("ginchat.chat")

STORE_BATCH = 256  # messages committed in one transaction at most
STORE_QUEUE = 10000  # messages waiting for storage before senders wait
INDEX_EVERY = 0.5  # SQLite: seconds at most between storing a message and indexing it (searches do not wait for it)
INDEX_AT = 500  # SQLite: or as soon as this many stored messages wait for the index


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
        self.seq_cache = message_store.SeqCache()  # each conversation's newest Seq (skips a query per batch)
        self.storing = None  # the batch being committed (drain waits for it)
        self.writer = None  # SQLite: the engine the threadpool writes with (see writer_engine)
        self.writer_conn = None  # its one Connection, kept open between batches (see _writer_begin)
        self.window = settings(self.app).store_window_ms / 1000.0
        self.last_batch = float("-inf")  # monotonic time the last batch was taken
        self.index_behind = False  # SQLite: the full-text index is this store's to follow (run)
        self.unindexed = 0  # messages this store stored since it last indexed
        self.waiting_since = 0.0  # monotonic time the oldest of them was stored
        self.indexed = 0  # messages indexed by this store (tests read it)

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
        self.index_behind = url.get_backend_name() == "sqlite"
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
            if self._index_due():
                self._index()
            try:
                first = queue.get(timeout=self._index_wait())
            except gevent.queue.Empty:  # time to index what was stored meanwhile
                continue
            batch = [first]
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

    def _index_due(self):
        """SQLite: INDEX_AT stored messages wait for the index, or one has for INDEX_EVERY seconds."""
        if not self.unindexed:
            return False
        return self.unindexed >= INDEX_AT or time.monotonic() - self.waiting_since >= INDEX_EVERY

    def _index_wait(self):
        """How long the store may wait for a message before it is due to index (None: for ever)."""
        if not self.unindexed:
            return None
        return max(0.0, self.waiting_since + INDEX_EVERY - time.monotonic())

    def _index(self):
        """SQLite: index the stored messages the full-text index does not hold
        yet (any node's), search_index.CHUNK at most (a search indexes the rest)."""
        self.waiting_since = time.monotonic()  # a failure tries again after INDEX_EVERY
        try:
            if self.writer is not None:
                moved = gevent.get_hub().threadpool.apply(self._index_write)
            else:
                with self.app.app_context(), db.engine.begin() as conn:
                    moved = search_index.index_pending(conn)
        except Exception as exc:  # searches index what is left; the next round tries again
            log.warning("indexing stored messages for search failed (%s: %s)", exc.__class__.__name__, exc)
            return
        self.indexed += moved
        if moved < search_index.CHUNK:
            self.unindexed = 0

    def _index_write(self):
        with self._writer_begin() as conn:
            return search_index.index_pending(conn)

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
                    rows, dupes = message_store.store_batch(conn, batch, self.seq_cache)
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
        if self.index_behind and rows:
            if not self.unindexed:
                self.waiting_since = time.monotonic()
            self.unindexed += len(rows)
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
        with self._writer_begin() as conn:
            return message_store.store_batch(conn, batch, self.seq_cache)

    @contextlib.contextmanager
    def _writer_begin(self):
        """A transaction on the writer's Connection, which stays open between
        batches: a checkout and a check-in of the pool (with its reset, a
        rollback) per batch cost more than a small batch's statements. One
        that lost its database connection is replaced on the next batch."""
        conn = self.writer_conn
        if conn is not None and (conn.invalidated or conn.closed):
            conn.close()
            conn = None
        if conn is None:
            conn = self.writer_conn = self.writer.connect()
        with conn.begin():
            yield conn

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
