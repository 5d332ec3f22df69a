"""Pinned and saved messages (issue 28, item 2).

- ``message_pin``: a message pinned to its conversation. Unpinning keeps the
  row (``pinned`` 0) so that a reconnect with ``since`` learns of it: every
  pin or unpin takes the next Id of the message counter (``rev``), as an edit
  does, and its Type 20 frame carries that Id. The row copies the message's
  type, sender and target, so the one rule of who reads what
  (message.readable_by's shape) selects the pins a user may see.
- ``saved_message``: a user's own "Saved" list; nobody else sees it.

Who may pin or save what is decided in ginchat/domain/pins.py."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    delete,
    func,
    or_,
    select,
)

from ginchat.extensions import db

ID_TYPE = BigInteger().with_variant(Integer, "sqlite")
PRIVATE, GROUP = 1, 2
PIN = 20  # the frame Type of a pin or unpin (client and server)
SAVE = 21  # the frame Type of a save or unsave (client and server)

message_pin = Table(
    "message_pin",
    db.metadata,
    Column("conv", String(24), nullable=False),
    Column("message_id", ID_TYPE, nullable=False),
    Column("type", SmallInteger, nullable=False),
    Column("user_id", Integer, nullable=False),  # the message's sender
    Column("target_id", Integer, nullable=False),  # the message's recipient or group
    Column("pinned", SmallInteger, nullable=False),  # 1 pinned, 0 unpinned (kept for replay)
    Column("pinned_by", Integer, nullable=False),
    Column("pin_time", BigInteger, nullable=False),
    Column("rev", ID_TYPE, nullable=False),
    PrimaryKeyConstraint("conv", "message_id", name="pk_message_pin"),
    Index("ix_message_pin_rev", "rev"),
)

saved_message = Table(
    "saved_message",
    db.metadata,
    Column("user_id", Integer, nullable=False),
    Column("message_id", ID_TYPE, nullable=False),
    Column("save_time", BigInteger, nullable=False),
    PrimaryKeyConstraint("user_id", "message_id", name="pk_saved_message"),
    Index("ix_saved_message_user_time", "user_id", "save_time"),
)


# --- pins -----------------------------------------------------------------------
def pin_row(conv: str, msg_id: int, executor: Any = None) -> dict[str, Any] | None:
    c = message_pin.c
    row = (executor or db.session).execute(select(message_pin).where(c.conv == conv, c.message_id == msg_id))
    row = row.mappings().first()
    return None if row is None else dict(row)


def pinned_count(conv: str) -> int:
    c = message_pin.c
    return db.session.scalar(select(func.count()).where(c.conv == conv, c.pinned == 1)) or 0


def pin_frame(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The Type 20 frame of a pin row: ``Id`` is the change's place in the Id
    sequence, ``MsgId`` the message; ChatType, UserId and TargetId are the
    message's, as a Type 15 frame has them."""
    return {
        "Type": PIN,
        "Id": int(row["rev"]),
        "MsgId": int(row["message_id"]),
        "ChatType": int(row["type"]),
        "UserId": int(row["user_id"]),
        "TargetId": int(row["target_id"]),
        "Pinned": bool(row["pinned"]),
        "PinnedBy": int(row["pinned_by"]),
        "PinTime": int(row["pin_time"]),
    }


def pinned_in(conv: str, after: int = 0) -> list[dict[str, Any]]:
    """The pinned rows of a conversation (of messages above ``after``), newest pin first."""
    c = message_pin.c
    query = select(message_pin).where(c.conv == conv, c.pinned == 1, c.message_id > after)
    return [dict(r) for r in db.session.execute(query.order_by(c.rev.desc())).mappings()]


def readable_pins(user_id: int, floors: Mapping[int, int]) -> ColumnElement[bool]:
    """The SQL condition for the pins ``user_id`` may see: of their private
    chats, and of each group in ``floors`` ({group id: history floor}) those
    of messages above the floor (message.readable_by's rule)."""
    c = message_pin.c
    terms = [(c.type == PRIVATE) & ((c.target_id == user_id) | (c.user_id == user_id))]
    whole = sorted(gid for gid, floor in floors.items() if not floor)
    if whole:
        terms.append((c.type == GROUP) & c.target_id.in_(whole))
    for gid, floor in sorted(floors.items()):
        if floor:
            terms.append((c.type == GROUP) & (c.target_id == gid) & (c.message_id > floor))
    return or_(*terms)


def pin_frames_since(user_id: int, floors: Mapping[int, int], since: int, limit: int) -> list[dict[str, Any]]:
    """Type 20 frames of the pins and unpins after ``since`` that ``user_id`` may see, in Id order."""
    c = message_pin.c
    query = select(message_pin).where(c.rev > since, readable_pins(user_id, floors)).order_by(c.rev).limit(limit)
    return [pin_frame(r) for r in db.session.execute(query).mappings()]


def pin_frames_after(conn: Connection, after_id: int, limit: int) -> list[dict[str, Any]]:
    """Every pin and unpin after ``after_id`` (the bus's catch-up), in Id order."""
    c = message_pin.c
    query = select(message_pin).where(c.rev > after_id).order_by(c.rev).limit(limit)
    return [pin_frame(r) for r in conn.execute(query).mappings()]


# --- saved ----------------------------------------------------------------------
def saved_row(user_id: int, msg_id: int) -> dict[str, Any] | None:
    c = saved_message.c
    result = db.session.execute(select(saved_message).where(c.user_id == user_id, c.message_id == msg_id))
    row = result.mappings().first()
    return None if row is None else dict(row)


def saved_count(user_id: int) -> int:
    c = saved_message.c
    return db.session.scalar(select(func.count()).where(c.user_id == user_id)) or 0


# --- what goes with a conversation ---------------------------------------------------
def forget_conversation(conv: str, msg_ids: Any) -> None:
    """The pins of a conversation, and everyone's saves of its messages
    (``msg_ids``: a select of their Ids), no commit."""
    db.session.execute(delete(message_pin).where(message_pin.c.conv == conv))
    db.session.execute(delete(saved_message).where(saved_message.c.message_id.in_(msg_ids)))
