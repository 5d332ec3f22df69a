"""Messages (the Go project's models/message.go). SQL is the record of every
message; Redis never holds the only copy.

``Id`` is assigned from the one-row ``msg_counter`` table inside the storing
transaction. Taking that row's lock first serialises every message-writing
transaction across all nodes, so Ids become visible in the order they were
given: a client that has seen Id N has seen every Id below N, which is what
makes ``since`` replay exact. ``Seq`` is computed under the same lock.
"""

import json
from functools import partial

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from ginchat.extensions import db
from ginchat.models import driversql, pins
from ginchat.models import message_parts as parts
from ginchat.models import message_record as records
from ginchat.models import thread as threads
from ginchat.utils.cjk import search_text

PRIVATE = 1
GROUP = 2
HEARTBEAT = 3
UPDATE = 15  # the frame Type of a message's changed state (an edit, a reaction)
PIN = pins.PIN  # the frame Type of a pin or unpin (models/pins.py)
# The frames of changes that take a place in the Id sequence, delivered in it.
CHANGES = (UPDATE, PIN)

TEXT, EMOJI, VOICE, IMAGE, FILE = 1, 2, 3, 4, 5
MEDIA_KINDS = (TEXT, EMOJI, VOICE, IMAGE, FILE)  # what a client may send
RECORD = records.RECORD  # a chat record: forwarded messages merged into one (the server makes it)
MENTION_ALL, MENTION_HERE = 1, 2  # the mention_all column
MENTION_ALL_NAMES = {MENTION_ALL: "all", MENTION_HERE: "here"}
RECALLED = 0  # a message its sender took back: blanked in place

ID_TYPE = BigInteger().with_variant(Integer, "sqlite")

message_table = Table(
    "message",
    db.metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=False),
    Column("conv", String(24), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("target_id", Integer, nullable=False),
    Column("type", SmallInteger, nullable=False),
    Column("media", SmallInteger, nullable=False),
    Column("content", Text, nullable=False),
    Column("url", String(255), nullable=False, default=""),
    Column("amount", Integer, nullable=False, default=0),
    Column("client_msg_id", String(64), nullable=True),
    Column("create_time", BigInteger, nullable=False),
    # Media 5 (a file): {"Name", "Size", "Mime"} as JSON, copied from the upload's row.
    Column("file_info", Text, nullable=True),
    # Edits, replies, mentions (see message_parts.py): the message this one
    # quotes, when its text last changed (ms), the mentioned members' ids
    # ("3,7"), and ``rev``: the place in the Id sequence of its latest change
    # (an edit or a reaction), which is how ``since`` replays changes.
    Column("reply_to", ID_TYPE, nullable=True),
    Column("edited", BigInteger, nullable=True),
    Column("mentions", String(255), nullable=True),
    Column("rev", ID_TYPE, nullable=True),
    # The text the search index holds instead of ``content`` when it has CJK
    # in it (utils.cjk.search_text: overlapping pairs of characters); NULL
    # for every other text, which the index takes as it is.
    Column("search_text", Text, nullable=True),
    # A forwarded message: {"UserId", "Name", "CreateTime"} of the original;
    # a chat record (Media 6): its card {"Title", "Count", "Preview"} (JSON;
    # see message_record.py).
    Column("forward", Text, nullable=True),
    # A group text's @all (1) or @here (2): see domain/mentions.py.
    Column("mention_all", SmallInteger, nullable=True),
    # Threads (thread.py): a reply's root Id, and 1 when it was also sent to
    # the conversation; on a root, its replies' count and the last one's Id and time.
    Column("root_id", ID_TYPE, nullable=True),
    Column("in_chat", SmallInteger, nullable=True),
    Column("replies", Integer, nullable=True),
    Column("last_reply", ID_TYPE, nullable=True),
    Column("last_reply_time", BigInteger, nullable=True),
    UniqueConstraint("conv", "seq", name="uq_message_conv_seq"),
    UniqueConstraint("user_id", "client_msg_id", name="uq_message_user_client_id"),
    Index("ix_message_conv_id", "conv", "id"),
    Index("ix_message_type_target_id", "type", "target_id", "id"),
    Index("ix_message_user_id", "user_id", "type", "id"),
    Index("ix_message_rev", "rev"),
    # Only replies are in it (partial where the database can): no cost to other messages.
    Index(
        "ix_message_root_id",
        "root_id",
        "id",
        postgresql_where=text("root_id IS NOT NULL"),
        sqlite_where=text("root_id IS NOT NULL"),
    ),
)

msg_counter = Table(
    "msg_counter",
    db.metadata,
    Column("name", String(16), primary_key=True),
    Column("value", ID_TYPE, nullable=False),
)


def conv_key(msg_type, user_id, target_id):
    """The conversation a message belongs to: a pair of users or a group."""
    if msg_type == GROUP:
        return f"g:{target_id}"
    low, high = sorted((int(user_id), int(target_id)))
    return f"p:{low}:{high}"


def to_frame(row):
    """The message as API.md spells it (row: a mapping with the column names)."""
    if row["media"] == RECALLED:
        return _recalled_frame(row)
    frame = {
        "Id": int(row["id"]),
        "Seq": int(row["seq"]),
        "UserId": int(row["user_id"]),
        "TargetId": int(row["target_id"]),
        "Type": int(row["type"]),
        "Media": int(row["media"]),
        "Content": row["content"],
        "Url": row["url"] or "",
        "Amount": int(row["amount"] or 0),
        "CreateTime": int(row["create_time"]),
        "ClientMsgId": row["client_msg_id"] or "",
        **parts.extras(row),
        **threads.extras(row),
    }
    if row.get("forward"):
        frame.update(records.extras(row))
    if row.get("mention_all"):
        frame["MentionAll"] = MENTION_ALL_NAMES.get(int(row["mention_all"]), "all")
    if row["media"] == FILE:
        frame["File"] = file_of(row.get("file_info"))
    return frame


def file_of(info):
    """The File object of a Media 5 message: {"Name", "Size", "Mime"}."""
    try:
        got = json.loads(info) if info else {}
    except ValueError:
        got = {}
    got = got if isinstance(got, dict) else {}
    return {
        "Name": str(got.get("Name") or "file"),
        "Size": int(got.get("Size") or 0),
        "Mime": str(got.get("Mime") or "application/octet-stream"),
    }


def _recalled_frame(row):
    """What is left of a recalled message: where it was, not what it said."""
    return {
        "Id": int(row["id"]),
        "Seq": int(row["seq"]),
        "UserId": int(row["user_id"]),
        "TargetId": int(row["target_id"]),
        "Type": int(row["type"]),
        "Media": RECALLED,
        "Content": "",
        "Url": "",
        "Amount": 0,
        "CreateTime": int(row["create_time"]),
        "ClientMsgId": row["client_msg_id"] or "",
        "Recalled": True,
        **threads.extras(row),  # a recalled root keeps its thread readable
    }


def update_frame(row):
    """A message's changed state (Type 15): ``Id`` is the change's place in
    the Id sequence, ``MsgId`` the message's Id. Reactions are added by
    ``parts.add_reactions``."""
    frame = {
        "Type": UPDATE,
        "Id": int(row["rev"]),
        "MsgId": int(row["id"]),
        "ChatType": int(row["type"]),
        "UserId": int(row["user_id"]),
        "TargetId": int(row["target_id"]),
    }
    if row["media"] == RECALLED:
        frame.update(Content="", Recalled=True)
        return frame
    frame.update(Content=row["content"], Edited=int(row["edited"] or 0), Mentions=parts.mention_ids(row))
    frame["Reactions"] = []
    return frame


# --- queries ------------------------------------------------------------------
def _rows(result, conn=None, floor=None):
    """Frames of the rows, with their reactions and the quotes of replies.
    ``floor(row)``: the Id up to which the reader may not read the row's
    group (None: anyone who may read the row, see parts.add_quotes)."""
    return frames_of([dict(r) for r in result.mappings()], conn, floor)


def frames_of(raw, conn=None, floor=None):
    frames = [to_frame(r) for r in raw]
    parts.add_reactions(conn or db.session, raw, frames)
    parts.add_quotes(conn or db.session, message_table, raw, frames, floor)
    return frames


def _updates_of(executor, query):
    """Type 15 frames of the rows ``query`` selects (Reactions included)."""
    raw = [dict(r) for r in executor.execute(query).mappings()]
    frames = [update_frame(r) for r in raw]
    parts.add_reactions(executor, raw, frames)
    return frames


def _merge(first, second, limit):
    return sorted(first + second, key=lambda f: f["Id"])[:limit]


def take_position(conn=None):
    """Take the next Id of the message counter for a change (no commit): the
    counter row's lock orders it with every stored message."""
    execute = (conn or db.session).execute
    execute(update(msg_counter).where(msg_counter.c.name == "message").values(value=msg_counter.c.value + 1))
    return int(execute(select(msg_counter.c.value).where(msg_counter.c.name == "message")).scalar())


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

    rows = _rows(db.session.execute(query), floor=floor)
    if not updates:
        return rows
    changed = select(message_table).where(c.id <= since, c.rev > since, where).order_by(c.rev).limit(limit)
    pinned = pins.pin_frames_since(user_id, floors, since, limit)
    return _merge(rows, _updates_of(db.session, changed) + pinned, limit)


def readable_by(user_id, groups):
    """The SQL condition for the messages ``user_id`` may read: private ones
    to or from them, and of each group in ``groups`` (as fetch_since takes
    it) those above the user's history floor."""
    c = message_table.c
    return or_((c.type == PRIVATE) & ((c.target_id == user_id) | (c.user_id == user_id)), *_group_terms(groups))


def readable_by_index(user_id, groups):
    """readable_by as (condition, index) pairs whose conditions together
    select the same messages, each answered by its one index: those the user
    sent, and those sent to them with their groups'. (In one OR, MariaDB
    read a member of many groups every private message of the table.)"""
    c = message_table.c
    sent = (c.type == PRIVATE) & (c.user_id == user_id)
    to_me = or_((c.type == PRIVATE) & (c.target_id == user_id), *_group_terms(groups))
    return [(sent, "ix_message_user_id"), (to_me, "ix_message_type_target_id")]


def _group_terms(groups):
    c = message_table.c
    floors = groups if isinstance(groups, dict) else dict.fromkeys(groups or (), 0)
    terms = []
    whole = sorted(gid for gid, floor in floors.items() if not floor)
    if whole:
        terms.append((c.type == GROUP) & c.target_id.in_(whole))
    for gid, floor in sorted(floors.items()):
        if floor:
            terms.append((c.type == GROUP) & (c.target_id == gid) & (c.id > floor))
    return terms


def in_chat():
    """The SQL condition for what the conversation itself shows: no thread
    reply but those also sent to the conversation."""
    c = message_table.c
    return or_(c.root_id.is_(None), c.in_chat == 1)


def count_in(conv, after=0, chat_only=False):
    """The messages of a conversation (those with an Id above ``after``;
    ``chat_only``: those the conversation shows, see in_chat)."""
    c = message_table.c
    query = select(func.count()).select_from(message_table).where(c.conv == conv)
    if after:
        query = query.where(c.id > after)
    if chat_only:
        query = query.where(in_chat())
    return db.session.execute(query).scalar()


def history(conv, before, limit, after=0, chat_only=False):
    """The ``limit`` messages of a conversation older than ``before`` (or the
    latest) and newer than ``after``, oldest first (``chat_only``: see in_chat)."""
    c = message_table.c
    query = select(message_table).where(c.conv == conv)
    if chat_only:
        query = query.where(in_chat())
    if after:
        query = query.where(c.id > after)
    if before is not None:
        query = query.where(c.id < before)
    rows = _rows(db.session.execute(query.order_by(c.id.desc()).limit(limit)), floor=lambda row: after)
    rows.reverse()
    return rows


def history_after(conv, after, before, limit, chat_only=False):
    """The ``limit`` messages of a conversation right after Id ``after`` (and
    older than ``before``, if given), oldest first: reading on from a point."""
    c = message_table.c
    query = select(message_table).where(c.conv == conv, c.id > after)
    if chat_only:
        query = query.where(in_chat())
    if before is not None:
        query = query.where(c.id < before)
    return _rows(db.session.execute(query.order_by(c.id).limit(limit)))


def window(conv, start, end):
    """Rows ``start``..``end`` counted from the newest (0 = newest), newest
    first; ``end`` < 0 means through the oldest (as Redis ZREVRANGE)."""
    c = message_table.c
    query = select(message_table).where(c.conv == conv).order_by(c.id.desc()).offset(start)
    if end >= 0:
        query = query.limit(end - start + 1)
    else:
        query = query.limit(1000)
    return _rows(db.session.execute(query))


def row_of(msg_id):
    """Message ``msg_id`` as a dict of its columns, or None."""
    row = db.session.execute(select(message_table).where(message_table.c.id == msg_id)).mappings().first()
    return None if row is None else dict(row)


def text_values(content):
    """The columns a new text sets: the content and what the search index holds of it."""
    return {"content": content, "search_text": search_text(content)}


def blank(msg_id, user_id):
    """Recall: blank ``user_id``'s message in place (Id and Seq stay), Media 0
    and no Content, Url or Amount (no commit). False when it was blank already."""
    c = message_table.c
    return bool(
        db.session.execute(
            update(message_table)
            .where(c.id == msg_id, c.user_id == user_id, c.media != RECALLED)
            .values(media=RECALLED, content="", url="", amount=0, file_info=None, search_text=None, forward=None)
        ).rowcount
    )


def url_in_use(url):
    """Does any message point at upload ``url``?"""
    return db.session.scalar(select(func.count()).where(message_table.c.url == url)) > 0


def private_peers(user_id):
    """Everyone ``user_id`` has a private conversation with (sent to or got
    from), by the two indexes that already serve the replay."""
    c = message_table.c
    sent = select(c.target_id).where(c.user_id == user_id, c.type == PRIVATE).distinct()
    got = select(c.user_id).where(c.type == PRIVATE, c.target_id == user_id).distinct()
    return {int(i) for i in db.session.scalars(sent)} | {int(i) for i in db.session.scalars(got)}


def latest_id(conv):
    """The conversation's newest message Id (0: none)."""
    return db.session.scalar(select(func.max(message_table.c.id)).where(message_table.c.conv == conv)) or 0


def delete_conversation(conv):
    """Every message of a conversation, with its reactions, mentions, pins and saves (no commit)."""
    ids = select(message_table.c.id).where(message_table.c.conv == conv).scalar_subquery()
    records.delete_items(db.session, ids)
    pins.forget_conversation(conv, ids)
    db.session.execute(parts.message_reaction.delete().where(parts.message_reaction.c.message_id.in_(ids)))
    db.session.execute(parts.message_mention.delete().where(parts.message_mention.c.conv == conv))
    threads.forget_conversation(db.session, conv)
    db.session.execute(message_table.delete().where(message_table.c.conv == conv))


def by_client_ids(conn, pairs):
    """Stored rows for (user_id, client_msg_id) pairs, keyed by the pair."""
    if not pairs:
        return {}
    # One term per sender, "user_id = ? AND client_msg_id IN (...)", OR-ed:
    # each probes the unique (user_id, client_msg_id) index. A row-value IN
    # list made SQLite walk every message of the sender (a cost growing with
    # each user's history), and two separate IN lists every user with every id.
    ids_of = {}
    for user_id, client_msg_id in sorted(pairs):
        ids_of.setdefault(user_id, []).append(client_msg_id)
    params = {}
    for n, (user_id, ids) in enumerate(ids_of.items()):
        params[f"u{n}"] = user_id
        params.update((f"c{n}_{k}", client_msg_id) for k, client_msg_id in enumerate(ids))
    shape = tuple(len(ids) for ids in ids_of.values())  # the statement depends on this alone
    found = {}
    for row in driversql.execute(conn, ("by_client_ids", shape), partial(_lookup_statement, shape), params).mappings():
        key = (row["user_id"], row["client_msg_id"])
        if key in pairs:
            found[key] = dict(row)
    return found


def _lookup_statement(shape, dialect):
    """by_client_ids' SQL for senders with ``shape`` (how many ids each) on ``dialect``."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(column.name) for column in message_table.columns)
    terms = (
        f"(user_id = :u{n} AND client_msg_id IN ({', '.join(f':c{n}_{k}' for k in range(count))}))"
        for n, count in enumerate(shape)
    )
    return text(f"SELECT {columns} FROM message WHERE {' OR '.join(terms)}").compile(dialect=dialect)


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
    rows, dupes, batch_cmids = [], {}, {}
    alerted = []  # the mention rows of @all and @here (issue 28)
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
    rows = _rows(conn.execute(select(message_table).where(c.id > after_id).order_by(c.id).limit(limit)), conn)
    changed = select(message_table).where(c.id <= after_id, c.rev > after_id).order_by(c.rev).limit(limit)
    updates = _updates_of(conn, changed) + pins.pin_frames_after(conn, after_id, limit)
    parts.add_except(conn, updates)
    return _merge(rows, updates, limit)
