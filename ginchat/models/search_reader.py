"""SQLite message searches off the event loop, within a time budget.

A full-text query over a large table can take a good part of a second; run
on the event loop's thread it stopped every connection of the node for as
long (issue 24: one searcher took a bystander's round trip from 7 to 250
ms). Here each search runs on a native thread of gevent's threadpool, on a
connection of its own (sqlite_threads.py), so it costs the loop nothing.

- SEARCH_THREADS connections bound how many searches run at once (the
  threadpool also writes messages and checkpoints: it is never all ours); a
  search that finds none free within SEARCH_BUDGET seconds is refused (503).
- SQLite's progress handler stops a statement past SEARCH_BUDGET seconds:
  the search answers 503, asking for a narrower query, and the connection
  is free for the next one.

With SEARCH_THREADS 0 (or an in-memory SQLite, which another connection
would not see) searches run on the loop's thread as before, still within
the budget. The other databases' drivers wait for the network through
gevent and never come here."""

import time

import gevent
import gevent.queue
from flask import current_app
from sqlalchemy import exc as sa_exc

from ginchat.errors import AppError
from ginchat.extensions import db
from ginchat.models.sqlite_threads import thread_engine

PROGRESS_STEPS = 20_000  # SQLite virtual-machine steps between two looks at the clock (well under a ms)
# Only for tests (SEARCH_TEST_SLOW_WORD): a statement that runs until stopped.
_NEVER_ENDS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


def too_slow(budget):
    return AppError(503, f"the search took longer than {budget:g} s and was stopped: narrow it (more or longer words)")


class SearchReader:
    def __init__(self, app):
        self.app = app
        self.budget = float(app.config["SEARCH_BUDGET"])
        threads = int(app.config["SEARCH_THREADS"])
        with app.app_context():
            url = db.engine.url
        self.threaded = threads > 0 and bool(url.database) and url.database != ":memory:"
        self.slots = gevent.queue.Queue()  # an engine (made on first use) per search that may run
        for _ in range(threads if self.threaded else 0):
            self.slots.put(None)
        self.slow_word = str(app.config.get("SEARCH_TEST_SLOW_WORD") or "").lower() or None
        self.started = 0  # searches begun (tests watch it)
        self._slow_released = False
        app.extensions["search_reader"] = self

    @staticmethod
    def of(app=None):
        app = app or current_app
        reader = app.extensions.get("search_reader")
        return reader if reader is not None else SearchReader(app)

    def rows(self, statement, terms):
        """The rows of ``statement`` (a search of ``terms``) as dicts."""
        slow = self.slow_word is not None and self.slow_word in (t.lower() for t in terms)
        if not self.threaded:
            self.started += 1
            return self._run(db.session.connection(), statement, slow)
        try:
            engine = self.slots.get(timeout=self.budget)
        except gevent.queue.Empty:
            raise AppError(503, "too many searches are running on this server: try again in a moment") from None
        try:
            if engine is None:
                engine = thread_engine(self.app)
            self.started += 1
            return gevent.get_hub().threadpool.apply(self._in_thread, (engine, statement, slow))
        finally:
            self.slots.put(engine)

    def _in_thread(self, engine, statement, slow):
        with engine.connect() as conn:
            return self._run(conn, statement, slow)

    def _run(self, conn, statement, slow):
        raw = conn.connection.dbapi_connection
        deadline = time.monotonic() + self.budget
        state = {"slow": slow}

        def progress():
            # Non-zero stops the statement (sqlite3.OperationalError "interrupted").
            return int(time.monotonic() > deadline or (state["slow"] and self._slow_released))

        raw.set_progress_handler(progress, PROGRESS_STEPS)
        try:
            if slow:
                try:
                    conn.exec_driver_sql(_NEVER_ENDS).all()
                except sa_exc.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                state["slow"] = False
            return [dict(row) for row in conn.execute(statement).mappings()]
        except sa_exc.OperationalError as exc:
            if "interrupted" not in str(exc.orig):
                raise
            raise too_slow(self.budget) from None
        finally:
            raw.set_progress_handler(None, 0)

    def release_slow(self):
        """Tests: let the searches held by SEARCH_TEST_SLOW_WORD go on."""
        self._slow_released = True
