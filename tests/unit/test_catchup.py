"""The bus catch-up's ordering on its own: frames offered out of Id order
reach local delivery in Id order, and a gap is waited for, then filled from
the message table. A bus and an engine of the test's own stand in for the
real ones; the database is a SQLite file."""

import pytest
from flask import Flask

from helpers import wait_for

import ginchat.bus.catchup as catchup_module
from ginchat.bus.catchup import Catchup
from ginchat.extensions import db
from ginchat.models.message import GROUP, msg_counter, to_frame
from ginchat.models.message_store import fetch_after, store_batch, top_id
from ginchat.models.new_message import NewMessage


class Engine:
    """What the catch-up needs of the chat engine: an app bound to the
    database, and the local delivery it feeds."""

    def __init__(self, app):
        self.app = app
        self.delivered = []  # (Id, text) in delivery order
        self.events = []

    def deliver(self, frame, text):
        self.delivered.append((frame["Id"], text))
        return True

    def apply_event(self, event):
        self.events.append(event)

    @property
    def ids(self):
        return [i for i, _ in self.delivered]


def Item(n):  # noqa: N802 (a record's maker)
    return NewMessage(user_id=1, type=GROUP, target_id=5, content=f"message {n}", create_time=1_700_000_000_000)


@pytest.fixture
def app(tmp_path):
    app = Flask("catchup-test")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'bus.db'}"
    db.init_app(app)
    with app.app_context():
        db.metadata.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(msg_counter.insert().values(name="message", value=0))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def engine(app):
    return Engine(app)


def make_catchup(engine):
    """A catch-up reading the message table as the chat engine lets it: through
    callables, the bus itself importing no tables."""
    app = engine.app

    def newest():
        with app.app_context(), db.engine.connect() as conn:
            return top_id(conn)

    def after(after_id, limit):
        with app.app_context(), db.engine.connect() as conn:
            return fetch_after(conn, after_id, limit)

    return Catchup(engine.deliver, interval=60, top_id=newest, fetch_since=after)


@pytest.fixture
def catchup(engine):
    """A catch-up whose follower wakes only when a gap asks it to."""
    follower = make_catchup(engine)
    greenlet = follower.start()
    yield follower
    greenlet.kill()


def stored(app, count):
    """Store ``count`` messages; their frames, as the bus would carry them."""
    with app.app_context(), db.engine.begin() as conn:
        rows, _ = store_batch(conn, [Item(n) for n in range(count)])
    return [to_frame(row) for row in rows]


def frame(msg_id):
    return {"Id": msg_id, "Content": f"from the bus {msg_id}"}


def test_frames_out_of_order_are_delivered_in_id_order(catchup, engine):
    for msg_id in (3, 2, 5, 1, 4):
        catchup.offer(frame(msg_id), f"text {msg_id}")
    assert engine.ids == [1, 2, 3, 4, 5]
    assert engine.delivered[0] == (1, "text 1"), "the bus's own text is passed on"
    assert catchup.pending == {} and catchup.last == 5


def test_a_gap_that_closes_within_the_grace_needs_no_sql(catchup, engine):
    catchup.offer(frame(2), "two")
    assert engine.ids == []
    catchup.offer(frame(1), "one")
    assert engine.ids == [1, 2]
    assert catchup.stats["caught_up"] == 0


def test_a_gap_is_filled_from_the_database_in_order(catchup, engine, app):
    frames = stored(app, 4)
    catchup.offer(frames[3], "held four")
    catchup.offer(frames[2], "held three")
    assert wait_for(lambda: engine.ids == [1, 2, 3, 4])
    texts = dict(engine.delivered)
    assert texts[3] == "held three" and texts[4] == "held four", "held frames keep their text"
    assert '"Content":"message 0"' in texts[1], "rows read from SQL become frames"
    assert catchup.stats["caught_up"] == 2 and catchup.stats["gap_polls"] >= 1


def test_duplicates_and_late_frames_are_delivered_once(catchup, engine, app):
    frames = stored(app, 2)
    catchup.offer(frames[0], "one")
    catchup.offer(frames[0], "one again")
    catchup.offer(frames[1], "two")
    catchup.poll()  # SQL brings nothing new
    catchup.offer(frames[1], "two, late")
    assert engine.ids == [1, 2]
    assert catchup.stats["late"] == 2


def test_the_follower_finds_messages_no_packet_revealed(catchup, engine, app):
    stored(app, 3)
    catchup.poll()
    assert engine.ids == [1, 2, 3] and catchup.last == 3


def test_the_cursor_starts_at_the_tables_top(engine, app):
    stored(app, 2)
    follower = make_catchup(engine)
    follower._init_cursors()
    assert follower.last == 2
    follower.offer(frame(3), "three")
    assert engine.ids == [3], "Ids from before the start are not replayed"


def test_without_sql_frames_are_delivered_as_they_come(engine):
    follower = make_catchup(engine)  # never started: the table's top is unknown
    for msg_id in (2, 1):
        follower.offer(frame(msg_id), str(msg_id))
    assert engine.ids == [2, 1]


def test_frames_held_too_long_go_out_in_id_order(catchup, engine, monkeypatch):
    monkeypatch.setattr(catchup_module, "MAX_HOLD", 0)
    for msg_id in (5, 3, 4):  # held since long ago, and SQL (the wake-up) never answered
        catchup.pending[msg_id] = (frame(msg_id), str(msg_id), 0.0)
    catchup._force_old()
    assert engine.ids == [3, 4, 5] and catchup.last == 5 and catchup.stats["forced"] == 3
