"""Messages (the Go project's models/message.go). SQL is the record of every
message; Redis never holds the only copy.

``Id`` is assigned from the one-row ``msg_counter`` table inside the storing
transaction. Taking that row's lock first serialises every message-writing
transaction across all nodes, so Ids become visible in the order they were
given: a client that has seen Id N has seen every Id below N, which is what
makes ``since`` replay exact. ``Seq`` is computed under the same lock.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    Result,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
    text,
    update,
)

from ginchat.extensions import changed, db
from ginchat.models import group_notice, pins
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
NOTICE = group_notice.NOTICE  # a group notice's change (models/group_notice.py)
CHANGES = (UPDATE, PIN, NOTICE)

TEXT, EMOJI, VOICE, IMAGE, FILE = 1, 2, 3, 4, 5
MEDIA_KINDS = (TEXT, EMOJI, VOICE, IMAGE, FILE)  # what a client may send
RECORD = records.RECORD  # a chat record: forwarded messages merged into one (the server makes it)
CALL = 7  # a call's record (issue 29, domain/calls.py): JSON Content that follows the call (the server makes it)
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


def conv_key(msg_type: int, user_id: int, target_id: int) -> str:
    """The conversation a message belongs to: a pair of users or a group."""
    if msg_type == GROUP:
        return f"g:{target_id}"
    low, high = sorted((int(user_id), int(target_id)))
    return f"p:{low}:{high}"


def to_frame(row: Mapping[Any, Any]) -> dict[str, Any]:
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


def file_of(info: str | None) -> dict[str, Any]:
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


def _recalled_frame(row: Mapping[Any, Any]) -> dict[str, Any]:
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


def update_frame(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A message's changed state (Type 15): ``Id`` is the change's place in
    the Id sequence, ``MsgId`` the message's Id. Reactions are added by
    ``parts.add_reactions``."""
    frame: dict[str, Any] = {
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
def frames_of_result(
    result: Result[Any], conn: Any = None, floor: Callable[[Mapping[str, Any]], int] | None = None
) -> list[dict[str, Any]]:
    """Frames of the rows, with their reactions and the quotes of replies.
    ``floor(row)``: the Id up to which the reader may not read the row's
    group (None: anyone who may read the row, see parts.add_quotes)."""
    return frames_of([dict(r) for r in result.mappings()], conn, floor)


def frames_of(
    raw: list[dict[str, Any]], conn: Any = None, floor: Callable[[Mapping[str, Any]], int] | None = None
) -> list[dict[str, Any]]:
    frames = [to_frame(r) for r in raw]
    parts.add_reactions(conn or db.session, raw, frames)
    parts.add_quotes(conn or db.session, message_table, raw, frames, floor)
    return frames


def take_position(conn: Any = None) -> int:
    """Take the next Id of the message counter for a change (no commit): the
    counter row's lock orders it with every stored message."""
    execute = (conn or db.session).execute
    execute(update(msg_counter).where(msg_counter.c.name == "message").values(value=msg_counter.c.value + 1))
    return int(execute(select(msg_counter.c.value).where(msg_counter.c.name == "message")).scalar_one())


def readable_by(user_id: int, groups: Mapping[int, int]) -> ColumnElement[bool]:
    """The SQL condition for the messages ``user_id`` may read: private ones
    to or from them, and of each group in ``groups`` (as fetch_since takes
    it) those above the user's history floor."""
    c = message_table.c
    return or_((c.type == PRIVATE) & ((c.target_id == user_id) | (c.user_id == user_id)), *_group_terms(groups))


def readable_by_index(user_id: int, groups: Mapping[int, int]) -> list[tuple[ColumnElement[bool], str]]:
    """readable_by as (condition, index) pairs whose conditions together
    select the same messages, each answered by its one index: those the user
    sent, and those sent to them with their groups'. (In one OR, MariaDB
    read a member of many groups every private message of the table.)"""
    c = message_table.c
    sent = (c.type == PRIVATE) & (c.user_id == user_id)
    to_me = or_((c.type == PRIVATE) & (c.target_id == user_id), *_group_terms(groups))
    return [(sent, "ix_message_user_id"), (to_me, "ix_message_type_target_id")]


def _group_terms(groups: Mapping[int, int]) -> list[ColumnElement[bool]]:
    c = message_table.c
    floors = groups if isinstance(groups, dict) else dict.fromkeys(groups or (), 0)
    terms: list[ColumnElement[bool]] = []
    whole = sorted(gid for gid, floor in floors.items() if not floor)
    if whole:
        terms.append((c.type == GROUP) & c.target_id.in_(whole))
    for gid, floor in sorted(floors.items()):
        if floor:
            terms.append((c.type == GROUP) & (c.target_id == gid) & (c.id > floor))
    return terms


def in_chat() -> ColumnElement[bool]:
    """The SQL condition for what the conversation itself shows: no thread
    reply but those also sent to the conversation."""
    c = message_table.c
    return or_(c.root_id.is_(None), c.in_chat == 1)


def count_in(conv: str, after: int = 0, chat_only: bool = False) -> int:
    """The messages of a conversation (those with an Id above ``after``;
    ``chat_only``: those the conversation shows, see in_chat)."""
    c = message_table.c
    query = select(func.count()).select_from(message_table).where(c.conv == conv)
    if after:
        query = query.where(c.id > after)
    if chat_only:
        query = query.where(in_chat())
    return db.session.execute(query).scalar() or 0


def history(conv: str, before: int | None, limit: int, after: int = 0, chat_only: bool = False) -> list[dict[str, Any]]:
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
    rows = frames_of_result(db.session.execute(query.order_by(c.id.desc()).limit(limit)), floor=lambda row: after)
    rows.reverse()
    return rows


def history_after(
    conv: str, after: int, before: int | None, limit: int, chat_only: bool = False
) -> list[dict[str, Any]]:
    """The ``limit`` messages of a conversation right after Id ``after`` (and
    older than ``before``, if given), oldest first: reading on from a point."""
    c = message_table.c
    query = select(message_table).where(c.conv == conv, c.id > after)
    if chat_only:
        query = query.where(in_chat())
    if before is not None:
        query = query.where(c.id < before)
    return frames_of_result(db.session.execute(query.order_by(c.id).limit(limit)))


def window(conv: str, start: int, end: int) -> list[dict[str, Any]]:
    """Rows ``start``..``end`` counted from the newest (0 = newest), newest
    first; ``end`` < 0 means through the oldest (as Redis ZREVRANGE)."""
    c = message_table.c
    query = select(message_table).where(c.conv == conv).order_by(c.id.desc()).offset(start)
    if end >= 0:
        query = query.limit(end - start + 1)
    else:
        query = query.limit(1000)
    return frames_of_result(db.session.execute(query))


def row_of(msg_id: int) -> dict[str, Any] | None:
    """Message ``msg_id`` as a dict of its columns, or None."""
    row = db.session.execute(select(message_table).where(message_table.c.id == msg_id)).mappings().first()
    return None if row is None else dict(row)


def text_values(content: str) -> dict[str, Any]:
    """The columns a new text sets: the content and what the search index holds of it."""
    return {"content": content, "search_text": search_text(content)}


def blank(msg_id: int, user_id: int) -> bool:
    """Recall: blank ``user_id``'s message in place (Id and Seq stay), Media 0
    and no Content, Url or Amount (no commit). False when it was blank already."""
    c = message_table.c
    return bool(
        changed(
            update(message_table)
            .where(c.id == msg_id, c.user_id == user_id, c.media != RECALLED)
            .values(media=RECALLED, content="", url="", amount=0, file_info=None, search_text=None, forward=None)
        )
    )


def url_in_use(url: str) -> bool:
    """Does any message point at upload ``url``?"""
    return (db.session.scalar(select(func.count()).where(message_table.c.url == url)) or 0) > 0


def private_peers(user_id: int) -> set[int]:
    """Everyone ``user_id`` has a private conversation with (sent to or got
    from), by the two indexes that already serve the replay."""
    c = message_table.c
    sent = select(c.target_id).where(c.user_id == user_id, c.type == PRIVATE).distinct()
    got = select(c.user_id).where(c.type == PRIVATE, c.target_id == user_id).distinct()
    return {int(i) for i in db.session.scalars(sent)} | {int(i) for i in db.session.scalars(got)}


def latest_id(conv: str) -> int | None:
    """The conversation's newest message Id (0: none)."""
    return db.session.scalar(select(func.max(message_table.c.id)).where(message_table.c.conv == conv)) or 0


def delete_conversation(conv: str) -> None:
    """Every message of a conversation, with its reactions, mentions, pins and saves (no commit)."""
    ids = select(message_table.c.id).where(message_table.c.conv == conv).scalar_subquery()
    records.delete_items(db.session, ids)
    pins.forget_conversation(conv, ids)
    db.session.execute(parts.message_reaction.delete().where(parts.message_reaction.c.message_id.in_(ids)))
    db.session.execute(parts.message_mention.delete().where(parts.message_mention.c.conv == conv))
    threads.forget_conversation(db.session, conv)
    db.session.execute(message_table.delete().where(message_table.c.conv == conv))
