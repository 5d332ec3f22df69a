"""SQLite's full-text index, kept from behind the message table (issue 30;
migrations/versions/0016_search_index_behind.py).

A message is indexed after it is stored, not in its insert: the table
``message_fts_upto`` holds the mark below which (inclusive) every message
is in ``message_fts``. ``index_pending`` indexes the messages above it in
Id order, as one ``INSERT ... SELECT`` from the view ``message_search``,
and moves the mark, in one transaction that takes the write lock first:
whoever runs it (the message store a few times a second, a search before
it reads, another node) never indexes a message twice or skips one.

Indexing many messages at once costs a few microseconds each (the FTS5
segment of a batch is written once, where a trigger wrote one per
commit); a search runs it first, so a message is found from the moment
it was stored. Edits and deletes of indexed messages are followed by the
triggers (the Id at most the mark); of the others, by the batch that
indexes them as they are then. MariaDB and PostgreSQL index inside their
own servers: nothing to do there."""

import sqlite3
from typing import Any

from sqlalchemy.engine import Connection

from ginchat.models import driversql

UPTO_TABLE = "message_fts_upto"  # its name keeps it among the engine's own objects (search.in_models)
CHUNK = 5000  # the message store's most per transaction (a few ms of a thread)

_LOCK = "UPDATE message_fts_upto SET upto = upto"
_UPTO = "SELECT upto FROM message_fts_upto"
_LAST = "SELECT max(id) FROM (SELECT id FROM message WHERE id > :upto ORDER BY id LIMIT :most)"
_INDEX = (
    "INSERT INTO message_fts (rowid, content, readers) "
    "SELECT id, content, readers FROM message_search WHERE id > :upto AND id <= :last"
)
_MOVE = "UPDATE message_fts_upto SET upto = :last"
_PENDING = "SELECT (SELECT upto FROM message_fts_upto), (SELECT max(id) FROM message)"


def index_pending(conn: Connection, most: int | None = CHUNK) -> int:
    """Index up to ``most`` (None: all) of the messages not yet indexed, on
    ``conn`` (an SQLAlchemy Connection, in its transaction: the caller
    commits). Returns how many Ids the mark moved by (0: nothing pending, or
    not SQLite)."""
    if conn.dialect.name != "sqlite":
        return 0

    def run(name: str, sql: str, **params: Any) -> Any:
        return driversql.execute(conn, ("search_index", name), driversql.text_statement(sql), params)

    run("lock", _LOCK)  # the write lock first: nobody indexes between our read and our write
    upto = run("upto", _UPTO).scalar()
    if upto is None:  # not migrated to 0016 (an in-between start): the triggers index
        return 0
    last = run("last", _LAST, upto=upto, most=-1 if most is None else int(most)).scalar()
    if last is None:
        return 0
    run("index", _INDEX, upto=upto, last=last)
    run("move", _MOVE, last=last)
    return int(last) - int(upto)


def index_pending_raw(raw: sqlite3.Connection) -> int:
    """``index_pending`` of everything on a plain sqlite3 connection (a
    search thread's), committed; nothing is written (no lock taken) when
    nothing is pending. Inside a transaction the connection has open, it
    joins it and leaves the commit to its owner."""
    found = raw.execute(_PENDING).fetchone()
    if found is None or found[0] is None or found[1] is None or found[1] <= found[0]:
        return 0
    own = not raw.in_transaction
    try:
        raw.execute(_LOCK)  # sqlite3 begins the transaction here
        (upto,) = raw.execute(_UPTO).fetchone()
        (last,) = raw.execute(_LAST, {"upto": upto, "most": -1}).fetchone()
        if last is not None:
            raw.execute(_INDEX, {"upto": upto, "last": last})
            raw.execute(_MOVE, {"last": last})
        if own:
            raw.commit()
    except BaseException:
        if own:
            raw.rollback()
        raise
    return 0 if last is None else int(last) - int(upto)
