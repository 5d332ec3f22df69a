"""The delivery path of messages (split from message.py): storing a batch
in one transaction under the counter row's lock (``store_batch``; Ids and
Seqs as message.py's docstring says), the look-up of a batch's retries by
their client ids, and the reads of ``since`` replay and the bus's catch-up
(``fetch_since``, ``top_id``, ``fetch_after``)."""

from functools import partial
from typing import Any

from sqlalchemy import func, insert, select, text

from ginchat.extensions import db
from ginchat.models import driversql, group_notice, pins
from ginchat.models import message_parts as parts
from ginchat.models import thread as threads
from ginchat.models.message import (
    GROUP,
    frames_of_result,
    message_table,
    readable_by,
    update_frame,
)
from ginchat.utils.cjk import search_text


def _updates_of(executor, query):
    """Type 15 frames of the rows ``query`` selects (Reactions included)."""
    raw = [dict(r) for r in executor.execute(query).mappings()]
    frames = [update_frame(r) for r in raw]
    parts.add_reactions(executor, raw, frames)
    return frames


def _merge(first, second, limit):
    return sorted(first + second, key=lambda f: f["Id"])[:limit]


def fetch_since(user_id, groups, since, limit, updates=False):
    """Every message for ``user_id`` with Id > since, oldest first: private
    messages to or from the user and messages of the user's groups.
    ``groups`` maps each group id to the Id after which the user may read
    it (Contact.history_floors); a plain collection of ids reads them all.
    ``updates``: also the changes (Type 15 frames) made after ``since`` to
    older messages, in their place in the sequence."""
    c = message_table.c
    floors = groups if isinstance(groups, dict) else dict.fromkeys(groups or (), 0)
    where = readable_by(user_id, floors)
    query = select(message_table).where(c.id > since, where).order_by(c.id).limit(limit)

    def floor(row):
        return floors.get(int(row["target_id"]), 0) if row["type"] == GROUP else 0

    rows = frames_of_result(db.session.execute(query), floor=floor)
    if not updates:
        return rows
    changed = select(message_table).where(c.id <= since, c.rev > since, where).order_by(c.rev).limit(limit)
    pinned = pins.pin_frames_since(user_id, floors, since, limit)
    notices = group_notice.frames_since(db.session, user_id, since, limit)
    return _merge(rows, _updates_of(db.session, changed) + pinned + notices, limit)


def by_client_ids(conn, pairs):
    """Stored rows for (user_id, client_msg_id) pairs, keyed by the pair."""
    if not pairs:
        return {}
    # One term per pair, "user_id = ? AND client_msg_id = ?", OR-ed: each
    # probes the unique (user_id, client_msg_id) index. (A row-value IN list
    # made SQLite walk every message of the sender, and two separate IN
    # lists every user with every id.) The list is padded to a power of two
    # by repeating its last pair, so that a handful of statements serve every
    # batch: one per shape of batch (senders and ids each) was compiled again
    # and again under load, when batches grew and their shapes outnumbered
    # the cache (issue 30's profile).
    ordered = sorted(pairs)
    size = 1 << (len(ordered) - 1).bit_length()
    ordered += ordered[-1:] * (size - len(ordered))
    params: dict[str, Any] = {}
    for n, (user_id, client_msg_id) in enumerate(ordered):
        params[f"u{n}"] = user_id
        params[f"c{n}"] = client_msg_id
    found = {}
    for row in driversql.execute(conn, ("by_client_ids", size), partial(_lookup_statement, size), params).mappings():
        key = (row["user_id"], row["client_msg_id"])
        if key in pairs:
            found[key] = dict(row)
    return found


def _lookup_statement(size, dialect):
    """by_client_ids' SQL for ``size`` pairs on ``dialect``."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(column.name) for column in message_table.columns)
    terms = " OR ".join(f"(user_id = :u{n} AND client_msg_id = :c{n})" for n in range(size))
    return text(f"SELECT {columns} FROM message WHERE {terms}").compile(dialect=dialect)


_TAKE_IDS = driversql.text_statement("UPDATE msg_counter SET value = value + :n WHERE name = 'message'")
_LAST_ID = driversql.text_statement("SELECT value FROM msg_counter WHERE name = 'message'")


class SeqCache:
    """The newest Seq of each conversation as this node stored it last.

    It is exact while no other writer has taken Ids since this node's last
    batch: the counter row tells (its value before our increment equals the
    last Id we handed out). Otherwise it is emptied and SQL is asked again,
    so several nodes stay exact; a single node skips a query per batch."""

    MAX = 100_000

    def __init__(self):
        self.top = {}
        self.last_id = None

    def lookup(self, first_id, convs):
        if self.last_id is None or self.last_id != first_id - 1 or len(self.top) > self.MAX:
            self.top.clear()
            return {}, list(convs)
        top = self.top
        found = {c: top[c] for c in convs if c in top}
        return found, [c for c in convs if c not in found]

    def remember(self, last_id, top):
        self.top.update(top)
        self.last_id = last_id


def store_batch(conn, items, seq_cache=None):
    """Store validated messages (NewMessage) in one transaction on ``conn`` (a Connection
    inside ``begin()``). Returns (stored rows, {item index: existing row})
    where resends of a known ClientMsgId map to the row stored before.
    ``seq_cache`` (a SeqCache) saves the query for the conversations' Seq;
    if the transaction is rolled back, the counter is too, and the cache
    finds itself out of date on the next batch."""
    c = message_table.c
    n = len(items)
    # The counter row's lock comes first: it serialises all message writers.
    driversql.execute(conn, "take_ids", _TAKE_IDS, {"n": n})
    last = driversql.execute(conn, "last_id", _LAST_ID, {}).scalar()
    next_id = last - n + 1

    pairs = {(it.user_id, it.client_msg_id) for it in items if it.client_msg_id}
    existing = by_client_ids(conn, pairs)
    convs = sorted({it.conv for it in items})
    if seq_cache is not None:
        top, missing = seq_cache.lookup(next_id, convs)
    else:
        top, missing = {}, convs
    if missing:
        top.update(conn.execute(select(c.conv, func.max(c.seq)).where(c.conv.in_(missing)).group_by(c.conv)).all())
    rows, dupes, batch_cmids = [], {}, {}  # type: ignore[var-annotated]
    alerted: list[dict[str, Any]] = []  # the mention rows of @all and @here (issue 28)
    for index, it in enumerate(items):
        key = (it.user_id, it.client_msg_id)
        if it.client_msg_id:
            if key in existing:
                dupes[index] = existing[key]
                continue
            if key in batch_cmids:
                dupes[index] = batch_cmids[key]
                continue
        seq = (top.get(it.conv) or 0) + 1
        top[it.conv] = seq
        row = {
            "id": next_id,
            "conv": it.conv,
            "seq": seq,
            "user_id": it.user_id,
            "target_id": it.target_id,
            "type": it.type,
            "media": it.media,
            "content": it.content,
            "url": it.url,
            "amount": it.amount,
            "client_msg_id": it.client_msg_id or None,
            "create_time": it.create_time,
            "file_info": it.file_info,
            "reply_to": it.reply_to or None,
            "edited": None,
            "mentions": parts.mentions_text(it.mentions),
            "rev": None,
            "search_text": search_text(it.content),
            "forward": it.forward,
            "mention_all": it.mention_all,
            "root_id": it.root_id or None,
            "in_chat": 1 if it.root_id and it.in_chat else None,
        }
        if it.alerted:
            named = set(it.mentions or ())
            alerted.extend(
                {"user_id": uid, "message_id": row["id"], "conv": it.conv} for uid in it.alerted if uid not in named
            )
        next_id += 1
        rows.append(row)
        if it.client_msg_id:
            batch_cmids[key] = row
    if rows:
        _insert_rows(conn, rows)
        parts.store_mentions(conn, rows)
        if alerted:
            conn.execute(insert(parts.message_mention), alerted)
        threads.record_replies(conn, rows, message_table)
    if seq_cache is not None:
        seq_cache.remember(last, {conv: seq for conv, seq in top.items() if seq})
    return rows, dupes


def _insert_rows(conn, rows):
    """The batch's rows in one ``executemany`` of the driver: the statement is
    compiled once per dialect, and the rows go as they are (plain ints and
    strings), without SQLAlchemy's per-row processing of a Core insert."""
    columns = tuple(rows[0])

    def build(dialect):
        return insert(message_table).compile(dialect=dialect, column_keys=list(columns))

    driversql.executemany(conn, ("insert", columns), build, rows)


def top_id(conn):
    """The newest message Id (0 for an empty table)."""
    return int(conn.execute(select(func.max(message_table.c.id))).scalar() or 0)


def fetch_after(conn, after_id, limit):
    """Every message with an Id above ``after_id``, and every change (Type
    15) made after it to older messages, oldest first, as frames. A change
    to a group message carries ``Except``: the members who may not read it."""
    c = message_table.c
    rows = frames_of_result(
        conn.execute(select(message_table).where(c.id > after_id).order_by(c.id).limit(limit)), conn
    )
    changed = select(message_table).where(c.id <= after_id, c.rev > after_id).order_by(c.rev).limit(limit)
    updates = _updates_of(conn, changed) + pins.pin_frames_after(conn, after_id, limit)
    parts.add_except(conn, updates)
    return _merge(rows, updates + group_notice.frames_after(conn, after_id, limit), limit)
