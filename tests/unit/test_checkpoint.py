"""The SQLite checkpoint loop on its own: often while the log grows, seldom
when nothing was written, and at the slow pace after a failure. A Flask
app of the test's own holds the database (a SQLite file in WAL mode); the
loop's sleeps are replaced by steps the test scripts, so nothing here
depends on time."""

import sqlite3

import pytest
from flask import Flask

import ginchat.chat.checkpoint as checkpoint_module
from ginchat.extensions import db


class Done(Exception):
    pass


@pytest.fixture
def app(tmp_path):
    app = Flask("checkpoint-test")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'wal.db'}"
    db.init_app(app)
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_checkpoints_come_often_while_the_log_grows_and_seldom_when_idle(app):
    path = checkpoint_module.sqlite_path(app)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only the loop checkpoints here
    assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def write():
        writer.execute("INSERT INTO note (body) VALUES (?)", ("x" * 3000,))

    # What happens before each of the loop's sleeps: the first sleep, then one
    # after each checkpoint.
    script = [write, write, None, None, write, None]
    delays = []

    def sleep(delay):
        delays.append(delay)
        if not script:
            raise Done
        step = script.pop(0)
        if step is not None:
            step()

    with pytest.raises(Done):
        checkpoint_module.checkpoint_loop(app, interval=0.1, idle_interval=1.0, sleep=sleep)

    # The first wait is the idle one; after a checkpoint that found new log
    # the next comes soon, after one that found nothing new it comes late.
    assert delays == [1.0, 0.1, 0.1, 1.0, 1.0, 0.1, 1.0]
    writer.close()


def test_a_checkpoint_that_fails_is_retried_at_the_idle_pace(app):
    class Pool:
        def apply(self, func, args=()):
            raise sqlite3.OperationalError("disk I/O error")

    delays = []

    def sleep(delay):
        delays.append(delay)
        if len(delays) == 4:
            raise Done

    with pytest.raises(Done):
        checkpoint_module.checkpoint_loop(app, interval=0.1, idle_interval=1.0, sleep=sleep, pool=Pool())
    assert delays == [1.0, 1.0, 1.0, 1.0]
