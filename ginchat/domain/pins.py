"""Pinned and saved messages (issue 28, item 2): the rules the HTTP routes
(/message/pin, /message/pins, /message/save, /message/saved) and the socket
frames 20 and 21 share.

- A pin is a write to the message's conversation (access.may_change: either
  side of a private chat while neither blocked the other, a member of a
  group), of a message one may read; in a group whose WhoMayPin is admins,
  only the owner and the admins pin or unpin. Each pin or unpin takes the
  next Id of the message counter: its Type 20 frame reaches every node in
  the Id order and a reconnect with ``since`` replays it.
- Saving is a read: anyone saves any message they may read to their own
  list; the Type 21 frame goes to their own connections on every node. The
  list shows what they may still read (a group they left hides its messages)."""

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ginchat.domain.access import SQL, Relations, app, may_change, may_read
from ginchat.domain.message_updates import readable_row
from ginchat.errors import bad_request, conflict, forbidden
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import message_parts as parts
from ginchat.models import pins
from ginchat.models.community import ADMINS, Community
from ginchat.models.contact import ADMIN_ROLE, Contact
from ginchat.signals import message_saved, message_updated
from ginchat.utils.ratelimit import RateLimiter

PIN, SAVE = pins.PIN, pins.SAVE  # the frame Types
PINS_PER_CONVERSATION = 50
SAVED_PER_USER = 5000


def now_ms() -> int:
    return int(time.time() * 1000)


def may_pin(user_id: int, row: Mapping[str, Any]) -> None:
    """In a group whose WhoMayPin is admins, only its owner and admins pin (403)."""
    if row["type"] != messages.GROUP:
        return
    group = db.session.get(Community, int(row["target_id"]))
    if group is None or group.who_may_pin != ADMINS or group.owner_id == user_id:
        return
    member = Contact.membership(user_id, group.id)
    if member is None or member.role != ADMIN_ROLE:
        raise forbidden(f"only the owner and the admins of {group.name} may pin or unpin messages")


def _state(row: Mapping[str, Any], msg_id: int) -> dict[str, Any]:
    """The Type 20 frame of a message that never had a pin row: not pinned."""
    return pins.pin_frame(
        {
            "rev": msg_id,
            "message_id": msg_id,
            "type": row["type"],
            "user_id": row["user_id"],
            "target_id": row["target_id"],
            "pinned": 0,
            "pinned_by": 0,
            "pin_time": 0,
        }
    )


def _stored_pin(conv: str, msg_id: int) -> dict[str, Any]:
    row = pins.pin_row(conv, msg_id)
    assert row is not None  # written a moment ago, in this transaction or by another tab
    return row


def pin(user_id: int, msg_id: int, pinned: bool | int = True, relations: Relations = SQL) -> dict[str, Any]:
    """Pin (or unpin, ``pinned`` False) message ``msg_id`` to its conversation.
    Idempotent: what is so already changes and announces nothing. Returns
    the Type 20 frame (the pin's state now)."""
    RateLimiter.of().check_change(user_id)  # one budget with edits and reactions
    row = readable_row(user_id, msg_id, relations)  # 404 for what one may not read
    if pinned and row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled")
    may_change(user_id, row, relations)
    may_pin(user_id, row)
    conv = row["conv"]
    existing = pins.pin_row(conv, msg_id)
    if existing is None and not pinned:
        return _state(row, msg_id)
    if existing is not None and bool(existing["pinned"]) == pinned:
        return pins.pin_frame(existing)
    if pinned and pins.pinned_count(conv) >= PINS_PER_CONVERSATION:
        raise bad_request(f"at most {PINS_PER_CONVERSATION} pinned messages in a conversation: unpin one first")
    values = {"pinned": int(pinned), "pinned_by": user_id, "pin_time": now_ms(), "rev": messages.take_position()}
    c = pins.message_pin.c
    try:
        if existing is None:
            db.session.execute(
                insert(pins.message_pin).values(
                    conv=conv,
                    message_id=msg_id,
                    type=row["type"],
                    user_id=row["user_id"],
                    target_id=row["target_id"],
                    **values,
                )
            )
        else:
            db.session.execute(update(pins.message_pin).where(c.conv == conv, c.message_id == msg_id).values(**values))
        db.session.flush()
    except IntegrityError:  # the same pin from another tab, just now
        db.session.rollback()
        return pins.pin_frame(_stored_pin(conv, msg_id))
    db.session.commit()
    frame = pins.pin_frame(_stored_pin(conv, msg_id))
    sent = dict(frame)
    parts.add_except(db.session, [sent])  # members whose history starts after the message
    message_updated.send(app(), frame=sent)
    return frame


def pinned_messages(user_id: int, msg_type: int, target_id: int) -> list[dict[str, Any]]:
    """The pinned messages of a conversation ``user_id`` may read (403/400 as
    history), newest pin first, each message frame with
    ``Pin``: {"UserId": who pinned it, "Time", "Id": the pin's place}."""
    after = may_read(user_id, msg_type, target_id)
    conv = messages.conv_key(msg_type, user_id, target_id)
    found = pins.pinned_in(conv, after)
    if not found:
        return []
    c = messages.message_table.c
    ids = [r["message_id"] for r in found]
    raw = [dict(r) for r in db.session.execute(select(messages.message_table).where(c.id.in_(ids))).mappings()]
    frames = {f["Id"]: f for f in messages.frames_of(raw, floor=lambda row: after)}
    rows = []
    for pin_row in found:
        frame = frames.get(int(pin_row["message_id"]))
        if frame is not None:
            frame["Pin"] = {
                "Id": int(pin_row["rev"]),
                "UserId": int(pin_row["pinned_by"]),
                "Time": int(pin_row["pin_time"]),
            }
            rows.append(frame)
    return rows


# --- saved ------------------------------------------------------------------------
def save(user_id: int, msg_id: int, saved: object = True, relations: Relations = SQL) -> dict[str, Any]:
    """Save (or unsave) message ``msg_id`` to ``user_id``'s own list.
    Idempotent. Saving needs what reading needs (404 otherwise); unsaving
    one's own entry always works. Returns the Type 21 frame."""
    RateLimiter.of().check_change(user_id)
    existing = pins.saved_row(user_id, msg_id)
    if not saved:
        if existing is None:
            readable_row(user_id, msg_id, relations)  # 404 for an Id one knows nothing of
            return {"Type": SAVE, "MsgId": msg_id, "Saved": False, "SaveTime": 0}
        c = pins.saved_message.c
        db.session.execute(pins.saved_message.delete().where(c.user_id == user_id, c.message_id == msg_id))
        db.session.commit()
        return _announce_save(user_id, {"Type": SAVE, "MsgId": msg_id, "Saved": False, "SaveTime": 0})
    row = readable_row(user_id, msg_id, relations)
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled")
    if existing is not None:
        return {"Type": SAVE, "MsgId": msg_id, "Saved": True, "SaveTime": int(existing["save_time"])}
    if pins.saved_count(user_id) >= SAVED_PER_USER:
        raise bad_request(f"at most {SAVED_PER_USER} saved messages: unsave some first")
    when = now_ms()
    try:
        db.session.execute(insert(pins.saved_message).values(user_id=user_id, message_id=msg_id, save_time=when))
        db.session.commit()
    except IntegrityError:  # saved from another tab, just now
        db.session.rollback()
        got = pins.saved_row(user_id, msg_id)
        return {"Type": SAVE, "MsgId": msg_id, "Saved": True, "SaveTime": int(got["save_time"] if got else when)}
    return _announce_save(user_id, {"Type": SAVE, "MsgId": msg_id, "Saved": True, "SaveTime": when})


def _announce_save(user_id: int, frame: dict[str, Any]) -> dict[str, Any]:
    message_saved.send(app(), frame=dict(frame), user_id=user_id)
    return frame


def saved_messages(user_id: int, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    """(rows, total): the messages ``user_id`` saved and may still read,
    newest save first, each message frame with ``SaveTime``."""
    floors = Contact.history_floors(user_id)
    s, c = pins.saved_message.c, messages.message_table.c
    where = (s.user_id == user_id, messages.readable_by(user_id, floors))
    joined = pins.saved_message.join(messages.message_table, c.id == s.message_id)
    total = db.session.scalar(select(func.count()).select_from(joined).where(*where)) or 0
    query = (
        select(messages.message_table, s.save_time)
        .select_from(joined)
        .where(*where)
        .order_by(s.save_time.desc(), s.message_id.desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    raw = [dict(r) for r in db.session.execute(query).mappings()]
    times = [int(r.pop("save_time")) for r in raw]

    def floor(row: Mapping[str, Any]) -> int:
        return floors.get(int(row["target_id"]), 0) if row["type"] == messages.GROUP else 0

    frames = messages.frames_of(raw, floor=floor)
    for frame, when in zip(frames, times, strict=True):
        frame["SaveTime"] = when
    return frames, total
