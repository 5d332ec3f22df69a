"""Forwarded messages (issue 28 item 3).

A message forwarded on its own is a new message of the conversation it goes
to, with the original's Media, Content, Url, Amount and File, and in its
``forward`` column who wrote it and when: {"UserId", "Name", "CreateTime"}
(the frame's ``Forward``). Its Url points at the same upload: no bytes are
copied, and a recall deletes an upload only when no message (nor a chat
record's item below) still points at it.

Several messages merged into one are a "chat record" (合并转发): a message
of Media ``RECORD`` whose ``forward`` column holds the card the frame shows,
{"Title", "Count", "Preview": [{"Name", "Media", "Snippet"}]} (the frame's
``Record``), and whose items (each forwarded message: its sender's name,
time and content) are rows of ``message_record``, read whole by
``GET /message/record``."""

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)

from ginchat.extensions import db

ID_TYPE = BigInteger().with_variant(Integer, "sqlite")

RECORD = 6  # the Media of a chat record (several messages merged into one)
PREVIEW_ITEMS = 4  # lines of a chat record's card
PREVIEW_CHARS = 60  # characters of each line

# Item ``pos`` of chat record ``message_id``: one forwarded message.
message_record = Table(
    "message_record",
    db.metadata,
    Column("message_id", ID_TYPE, nullable=False),
    Column("pos", SmallInteger, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("name", String(64), nullable=False, default=""),
    Column("create_time", BigInteger, nullable=False),
    Column("media", SmallInteger, nullable=False),
    Column("content", Text, nullable=False),
    Column("url", String(255), nullable=False, default=""),
    Column("amount", Integer, nullable=False, default=0),
    Column("file_info", Text, nullable=True),
    PrimaryKeyConstraint("message_id", "pos", name="pk_message_record"),
    # The upload check of a recall (is this file still forwarded somewhere?).
    Index("ix_message_record_url", "url"),
)


def extras(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Forward`` or ``Record`` key of a message frame (row: its columns)."""
    raw = row.get("forward")
    if not raw:
        return {}
    try:
        got = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(got, dict):
        return {}
    return {"Record": got} if row.get("media") == RECORD else {"Forward": got}


def store_items(executor: Any, message_id: int, items: list[dict[str, Any]]) -> None:
    """The items of chat record ``message_id`` (no commit): dicts with the columns but the first two."""
    if items:
        executor.execute(
            insert(message_record), [dict(item, message_id=message_id, pos=n) for n, item in enumerate(items)]
        )


def items_of(message_id: int) -> list[dict[str, Any]]:
    """The items of chat record ``message_id``, in order, as dicts of their columns."""
    c = message_record.c
    query = select(message_record).where(c.message_id == message_id).order_by(c.pos)
    return [dict(r) for r in db.session.execute(query).mappings()]


def urls_of(message_id: int) -> list[str]:
    """The uploads the items of chat record ``message_id`` point at."""
    c = message_record.c
    return sorted(set(db.session.scalars(select(c.url).where(c.message_id == message_id, c.url != ""))))


def delete_items(executor: Any, message_ids: Any) -> None:
    """The items of these chat records (no commit)."""
    executor.execute(delete(message_record).where(message_record.c.message_id.in_(message_ids)))


def url_in_records(url: str) -> bool:
    """Does an item of any chat record point at upload ``url``?"""
    return (db.session.scalar(select(func.count()).where(message_record.c.url == url)) or 0) > 0
