"""Message Ids and Seqs as store_batch hands them out, on a plain SQLAlchemy
engine over a temporary SQLite file (no app, no server)."""

import pytest
from sqlalchemy import create_engine, event, insert, select

import ginchat.models  # noqa: F401  (registers every table on the metadata)
from ginchat.extensions import db
from ginchat.models.message import (
    GROUP,
    PRIVATE,
    message_table,
    msg_counter,
)
from ginchat.models.message_store import SeqCache, by_client_ids, store_batch
from ginchat.models.new_message import NewMessage


def Item(user_id, target_id, msg_type=PRIVATE, client_msg_id="", content="hi"):  # noqa: N802 (a record's maker)
    """A validated message as the store gets it."""
    return NewMessage(
        user_id=user_id,
        type=msg_type,
        target_id=target_id,
        content=content,
        client_msg_id=client_msg_id,
        create_time=1_700_000_000_000,
    )


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'messages.db'}")
    db.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(msg_counter).values(name="message", value=0))
    yield engine
    engine.dispose()


@pytest.fixture
def seq_queries(engine):
    """How many times the conversations' top Seq was read from SQL."""
    count = []

    def spy(conn, cursor, statement, *args):
        if "max(message.seq)" in statement.lower():
            count.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    yield count
    event.remove(engine, "before_cursor_execute", spy)


def store(engine, items, cache=None):
    with engine.begin() as conn:
        return store_batch(conn, items, cache)


def table(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(message_table).order_by(message_table.c.id)).mappings()]


def seqs_by_conv(rows):
    out = {}
    for row in rows:
        out.setdefault(row["conv"], []).append(row["seq"])
    return out


@pytest.mark.parametrize("cached", [False, True])
def test_ids_and_seqs_are_gapless(engine, cached):
    cache = SeqCache() if cached else None
    for _ in range(3):
        store(engine, [Item(1, 2), Item(2, 1), Item(1, 3), Item(5, 9, GROUP), Item(6, 9, GROUP)], cache)
    rows = table(engine)
    assert [r["id"] for r in rows] == list(range(1, 16))
    assert seqs_by_conv(rows) == {"p:1:2": list(range(1, 7)), "p:1:3": [1, 2, 3], "g:9": list(range(1, 7))}


def test_a_resend_of_a_stored_client_msg_id_maps_to_the_stored_row(engine):
    rows, dupes = store(engine, [Item(1, 2, client_msg_id="m1"), Item(1, 2, client_msg_id="m2")])
    assert [r["seq"] for r in rows] == [1, 2] and dupes == {}
    rows, dupes = store(engine, [Item(1, 2, client_msg_id="m3"), Item(1, 2, client_msg_id="m1")])
    assert [(r["client_msg_id"], r["seq"]) for r in rows] == [("m3", 3)]
    assert list(dupes) == [1] and dupes[1]["id"] == 1 and dupes[1]["client_msg_id"] == "m1"
    assert len(table(engine)) == 3


def test_the_same_client_msg_id_from_another_user_is_another_message(engine):
    rows, dupes = store(engine, [Item(1, 2, client_msg_id="same"), Item(2, 1, client_msg_id="same")])
    assert len(rows) == 2 and dupes == {}


def test_a_batch_with_a_resend_inside_stores_it_once(engine):
    items = [Item(1, 2, client_msg_id="a"), Item(1, 2, client_msg_id="b"), Item(1, 2, client_msg_id="a"), Item(1, 2)]
    rows, dupes = store(engine, items)
    assert [(r["client_msg_id"], r["seq"]) for r in rows] == [("a", 1), ("b", 2), (None, 3)]
    assert dupes == {2: rows[0]}
    assert [r["seq"] for r in table(engine)] == [1, 2, 3]
    # The next batch goes on after the reserved Ids: Ids rise, Seqs stay gapless.
    more, _ = store(engine, [Item(2, 1)])
    assert more[0]["seq"] == 4 and more[0]["id"] > rows[-1]["id"]


def test_the_cache_saves_the_seq_query_and_stays_exact(engine, seq_queries):
    cache = SeqCache()
    store(engine, [Item(1, 2), Item(3, 4)], cache)
    assert len(seq_queries) == 1  # the first batch asks SQL
    store(engine, [Item(1, 2), Item(3, 4)], cache)
    store(engine, [Item(2, 1)], cache)
    assert len(seq_queries) == 1, "known conversations come from the cache"
    store(engine, [Item(1, 2), Item(7, 8)], cache)
    assert len(seq_queries) == 2, "a new conversation is read from SQL"
    assert cache.top == {conv: seqs[-1] for conv, seqs in seqs_by_conv(table(engine)).items()}
    assert cache.last_id == table(engine)[-1]["id"]


def test_the_cache_resets_when_another_writer_took_ids(engine, seq_queries):
    ours, theirs = SeqCache(), SeqCache()
    store(engine, [Item(1, 2), Item(1, 2)], ours)
    store(engine, [Item(2, 1)], theirs)  # another node writes to the same conversation
    rows, _ = store(engine, [Item(1, 2)], ours)
    assert rows[0]["seq"] == 4, "the stale cache is not trusted"
    assert ours.top == {"p:1:2": 4} and ours.last_id == 4
    assert len(seq_queries) == 3
    assert seqs_by_conv(table(engine)) == {"p:1:2": [1, 2, 3, 4]}


def test_a_rolled_back_batch_leaves_no_gap(engine):
    cache = SeqCache()
    store(engine, [Item(1, 2)], cache)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        store_batch(conn, [Item(1, 2), Item(1, 2)], cache)
        raise RuntimeError("the commit fails")
    rows, _ = store(engine, [Item(1, 2)], cache)
    assert (rows[0]["id"], rows[0]["seq"]) == (2, 2)


def test_the_cache_empties_itself_when_it_grows_too_big(engine, monkeypatch):
    monkeypatch.setattr(SeqCache, "MAX", 2)
    cache = SeqCache()
    store(engine, [Item(1, 2), Item(1, 3), Item(1, 4)], cache)
    assert len(cache.top) == 3
    rows, _ = store(engine, [Item(1, 2)], cache)
    assert rows[0]["seq"] == 2 and cache.top == {"p:1:2": 2}


def lookup_steps(engine, pairs):
    """How many SQLite VM instructions by_client_ids runs for ``pairs`` (a
    count, not a time: the same on any machine)."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        steps = []
        raw.set_progress_handler(lambda: steps.append(1) and 0, 1)
        try:
            found = by_client_ids(conn, pairs)
        finally:
            raw.set_progress_handler(None, 1)
    return len(steps), found


def test_the_resend_lookup_does_not_grow_with_the_senders_history(engine):
    # Every send looks its ClientMsgId up; on SQLite the row-value IN list
    # walked all of the sender's messages instead of probing the unique
    # (user_id, client_msg_id) index: a cost that grew with each user's history.
    def history(start, count):
        for first in range(start, start + count, 200):
            store(engine, [Item(1, 2, client_msg_id=f"h{n}") for n in range(first, first + 200)])

    history(0, 200)
    pairs = {(1, "h7"), (1, "new-1"), (2, "h8")}
    small, found = lookup_steps(engine, pairs)
    assert set(found) == {(1, "h7")}
    history(200, 4000)
    large, found = lookup_steps(engine, pairs)
    assert set(found) == {(1, "h7")}
    assert large <= small * 2, f"{small} VM steps with 200 messages of the sender, {large} with 4,200"


def test_resend_lookups_of_any_batch_share_a_few_statements(engine):
    """Batches of every shape (how many senders, how many ids each) are
    looked up by a handful of statements: one per shape was compiled again
    and again under load (issue 30), when shapes outnumbered the cache."""
    from ginchat.models import driversql

    stored = store(engine, [Item(u, u + 1, client_msg_id=f"s{u}") for u in range(1, 40)])[0]
    before = {key for key in driversql._COMPILED if key[1][0] == "by_client_ids"}
    for size in range(1, 40):
        pairs = {(u, f"s{u}") for u in range(1, size + 1)} | {(1, f"new{k}") for k in range(size % 3)}
        with engine.connect() as conn:
            found = by_client_ids(conn, pairs)
        assert set(found) == {(u, f"s{u}") for u in range(1, size + 1)}
        assert all(found[(u, f"s{u}")]["id"] == stored[u - 1]["id"] for u in range(1, size + 1))
    shapes = {key for key in driversql._COMPILED if key[1][0] == "by_client_ids"} - before
    assert len(shapes) <= 7, sorted(shapes)
