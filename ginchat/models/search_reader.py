"""SQLite message searches off the event loop, within a time budget.

A full-text query over a large table can take a good part of a second; run
on the event loop's thread it stopped every connection of the node for as
long (issue 24: one searcher took a bystander's round trip from 5 to 64
ms, four to 583 ms). Here each search runs on a native thread of a
threadpool of its own, on a plain sqlite3 connection of its own: sqlite3
lets go of the GIL while a statement runs, and the thread runs no other
Python than the driver's call (the statement is compiled and the rows made
into dicts on the loop), so it never holds the GIL the loop waits for.

- SEARCH_THREADS threads and connections bound how many searches run at
  once; a search that finds none free within SEARCH_BUDGET seconds is
  refused (503).
- The threads run at a lower scheduling priority (nice SEARCH_NICE; Linux
  sets it per thread): on a busy core the event loop goes first.
- Past SEARCH_BUDGET seconds the loop interrupts the statement
  (sqlite3's ``interrupt()``, made to be called from another thread): the
  search answers 503, asking for a narrower query.

With SEARCH_THREADS 0 (or an in-memory SQLite, which another connection
would not see) searches run on the loop's thread as before, stopped past
the budget by SQLite's progress handler. The other databases' drivers wait
for the network through gevent and never come here."""

import os
import sqlite3
import threading
import time

import gevent
import gevent.queue
import gevent.threadpool
from flask import current_app

from ginchat.errors import AppError
from ginchat.extensions import db
from ginchat.settings import settings

PROGRESS_STEPS = 20_000  # on the loop: SQLite virtual-machine steps between two looks at the clock
SEARCH_NICE = 10  # the search threads' niceness: the loop's thread (0) gets about nine tenths of a busy core
IDLE_SECONDS = 60  # a search thread with nothing to do for this long ends
# Only for tests (SEARCH_TEST_SLOW_WORD): a statement that runs until stopped.
_NEVER_ENDS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


def too_slow(budget):
    return AppError(503, f"the search took longer than {budget:g} s and was stopped: narrow it (more or longer words)")


class SearchReader:
    def __init__(self, app):
        self.app = app
        self.budget = settings(app).search_budget
        threads = settings(app).search_threads
        with app.app_context():
            url = db.engine.url
        self.path = url.database if url.database and url.database != ":memory:" else None
        self.threaded = threads > 0 and self.path is not None
        self.slots = gevent.queue.Queue()  # a connection (made on first use) per search that may run
        for _ in range(threads if self.threaded else 0):
            self.slots.put(None)
        self.threads = gevent.threadpool.ThreadPool(threads, idle_task_timeout=IDLE_SECONDS) if self.threaded else None
        self.slow_word = settings(app).search_test_slow_word
        self.started = 0  # searches begun (tests watch it)
        self.running = set()  # the connections of the searches under way
        self.slow_released = False
        app.extensions["search_reader"] = self

    @staticmethod
    def of(app=None):
        app = app or current_app
        reader = app.extensions.get("search_reader")
        return reader if reader is not None else SearchReader(app)

    def rows(self, statement, terms, prepare=None):
        """The rows of ``statement`` (a search of ``terms``) as dicts.
        ``prepare(raw)``: run first on the same sqlite3 connection, on the
        same thread (search_index.index_pending_raw: the index caught up)."""
        slow = self.slow_word is not None and self.slow_word in (t.lower() for t in terms)
        compiled = statement.compile(dialect=db.session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
        values = compiled.construct_params()
        sql, params = str(compiled), [values[name] for name in compiled.positiontup]
        if not self.threaded:
            self.started += 1
            own = db.session.connection().connection.dbapi_connection
            if prepare is not None:
                prepare(own)
            columns, rows = self._on_loop(own, sql, params, slow)
        else:
            try:
                raw = self.slots.get(timeout=self.budget)
            except gevent.queue.Empty:
                raise AppError(503, "too many searches are running on this server: try again in a moment") from None
            try:
                if raw is None:  # self.path is set whenever threaded
                    raw = sqlite3.connect(str(self.path), timeout=15, check_same_thread=False)
                self.started += 1
                columns, rows = self._off_loop(raw, sql, params, slow, prepare)
            finally:
                self.slots.put(raw)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _off_loop(self, raw, sql, params, slow, prepare=None):
        self.running.add(raw)
        assert self.threads is not None  # threaded: made in __init__
        job = self.threads.spawn(_in_thread, raw, sql, params, self if slow else None, prepare)
        try:
            try:
                return job.get(timeout=self.budget)
            except gevent.Timeout:
                pass
            while True:  # past the budget: stop the statement, and wait for the thread to let go of it
                raw.interrupt()
                try:
                    return job.get(timeout=1)
                except gevent.Timeout:
                    continue
                except sqlite3.OperationalError as exc:
                    if "interrupted" in str(exc):
                        raise too_slow(self.budget) from None
                    raise
        finally:
            self.running.discard(raw)

    def _on_loop(self, raw, sql, params, slow):
        deadline = time.monotonic() + self.budget

        def progress():
            # Non-zero stops the statement (sqlite3.OperationalError "interrupted").
            return int(time.monotonic() > deadline or (slow and self.slow_released))

        raw.set_progress_handler(progress, PROGRESS_STEPS)
        try:
            return _query(raw, sql, params, self if slow else None)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise too_slow(self.budget) from None
            raise
        finally:
            raw.set_progress_handler(None, 0)

    def release_slow(self):
        """Tests: let the searches held by SEARCH_TEST_SLOW_WORD go on."""
        self.slow_released = True
        for raw in list(self.running):
            raw.interrupt()


def _in_thread(raw, sql, params, held_by, prepare=None):
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SEARCH_NICE)
    except (AttributeError, OSError):  # not Linux: the thread keeps the process's priority
        pass
    if prepare is not None:
        prepare(raw)
    return _query(raw, sql, params, held_by)


def _query(raw, sql, params, held_by=None):
    """(column names, rows) of one statement: on a search thread, nothing but the driver's calls.
    ``held_by``: tests, a SearchReader whose release_slow lets the statement start."""
    if held_by is not None:
        try:
            raw.execute(_NEVER_ENDS).fetchone()
        except sqlite3.OperationalError:
            if not held_by.slow_released:
                raise
    cursor = raw.execute(sql, params)
    try:
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        cursor.close()
