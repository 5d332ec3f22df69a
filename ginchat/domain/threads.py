"""Threads: any message of a private or group chat may gather replies
(``RootId``). Threads are one level: a reply points at its root, never at
another reply. Who may read a thread is who may read its root; who may
reply is who may write to its conversation and read its root. A recalled
root keeps its thread readable, and closed to new replies.

Each user has, per thread, a follow mark and a read position (models/
thread.py); the store sets them for whoever starts, replies to or is
mentioned in a thread, and these functions for whoever follows, leaves or
reads one by hand. Their other devices hear it as a Type 23 frame."""

from collections.abc import Mapping
from typing import Any

from ginchat.domain.access import SQL, Relations, app, may_read
from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import thread, thread_list
from ginchat.models.contact import Contact
from ginchat.signals import read_moved

THREAD = 23  # the frame Type of a user's thread state (to their own connections)


def _peer(row: Mapping[str, Any], user_id: int) -> tuple[int, int]:
    """(ChatType, TargetId) of the root's conversation as ``user_id`` names it."""
    if row["type"] == messages.GROUP:
        return messages.GROUP, int(row["target_id"])
    other = int(row["target_id"]) if int(row["user_id"]) == user_id else int(row["user_id"])
    return messages.PRIVATE, other


def check_root(user_id: int, msg_type: int, target_id: int, root_id: int, relations: Relations = SQL) -> None:
    """Raise AppError unless ``user_id`` may reply in the thread of message
    ``root_id`` within the conversation (``msg_type``, ``target_id``) they write to."""
    row = messages.row_of(root_id)
    if row is None or row["conv"] != messages.conv_key(msg_type, user_id, target_id):
        raise bad_request(f"RootId {root_id} is no message of this conversation")
    if row["root_id"]:
        raise bad_request(
            f"message {root_id} is a reply in the thread of message {row['root_id']}: "
            f"reply to the root (RootId {row['root_id']}); threads are one level"
        )
    after = may_read(user_id, msg_type, target_id, relations)
    if root_id <= after:
        raise forbidden(f"you may not read message {root_id}")
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {root_id} is recalled: its thread takes no new replies")


def readable_root(user_id: int, root_id: int, relations: Relations = SQL) -> tuple[dict[str, Any], int]:
    """(the row of root ``root_id``, the Id up to which ``user_id`` may not
    read its conversation) if they may read its thread; raises
    AppError: 404 for no such message (or one of others' private chat), 403
    for a group one is not a member of or a message before one's history,
    400 for a reply (its thread is its root's)."""
    row = messages.row_of(root_id)
    if row is None or (row["type"] == messages.PRIVATE and user_id not in (int(row["user_id"]), int(row["target_id"]))):
        raise not_found(f"no message with Id {root_id}")
    chat_type, target = _peer(row, user_id)
    after = may_read(user_id, chat_type, target, relations)
    if root_id <= after:
        raise forbidden(f"you may not read message {root_id}")
    if row["root_id"]:
        raise bad_request(f"message {root_id} is a reply: its thread is message {row['root_id']}'s")
    return row, after


def _state(user_id: int, row: Mapping[str, Any], following: bool, read_id: int, unread: int) -> dict[str, Any]:
    chat_type, target = _peer(row, user_id)
    return {
        "RootId": int(row["id"]),
        "ChatType": chat_type,
        "TargetId": target,
        "Following": bool(following),
        "ReadId": int(read_id),
        "Unread": int(unread),
        "Replies": int(row.get("replies") or 0),
        "LastId": int(row.get("last_reply") or 0),
        "LastTime": int(row.get("last_reply_time") or 0),
    }


def thread_of(
    user_id: int, root_id: int, before: int | None = None, after: int | None = None, limit: int = 50
) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """(state with ``Root``, the root's frame; replies oldest first; the
    thread's reply count) for a reader of the root."""
    row, floor = readable_root(user_id, root_id)
    following, read_id = thread.state_of(db.session, user_id, root_id)
    unread = thread_list.unread_counts(user_id, {root_id: read_id}).get(root_id, 0)
    replies = thread_list.replies_of(root_id, before, after, limit, floor)
    state = _state(user_id, row, following, read_id, unread)
    state["Root"] = messages.frames_of([row], floor=lambda r: floor)[0]
    return state, replies, state["Replies"]


def followed_threads(user_id: int, page: int, size: int) -> tuple[list[dict[str, Any]], int, int]:
    """(rows, total, threads with unread replies) of the threads ``user_id``
    follows and may read: unread ones first, then by their latest reply."""
    floors = Contact.history_floors(user_id)
    rows, total, with_unread = thread_list.followed(user_id, floors, page, size)
    reads = {int(r["id"]): int(r.pop("read_id")) for r in rows}
    counts = thread_list.unread_counts(user_id, reads)
    frames = messages.frames_of(
        rows, floor=lambda r: floors.get(int(r["target_id"]), 0) if r["type"] == messages.GROUP else 0
    )
    found = []
    for row, frame in zip(rows, frames, strict=True):
        state = _state(user_id, row, True, reads[int(row["id"])], counts.get(int(row["id"]), 0))
        state["Root"] = frame
        found.append(state)
    return found, total, with_unread


def _write(user_id: int, root_id: int, following: bool | None = None, up_to: int | None = None) -> dict[str, Any]:
    readable_root(user_id, root_id)
    thread.lock_writers(db.session)
    row = messages.row_of(root_id)  # its reply count as the lock holds it
    assert row is not None  # readable_root has just found it
    read_id = None
    if up_to is not None or following is None:
        last = int(row["last_reply"] or 0)
        read_id = last if up_to is None else min(int(up_to), last)
    now_following, now_read = thread.set_state(db.session, user_id, root_id, row["conv"], following, read_id)
    db.session.commit()
    unread = thread_list.unread_counts(user_id, {root_id: now_read}).get(root_id, 0)
    state = _state(user_id, row, now_following, now_read, unread)
    read_moved.send(app(), frame={"Type": THREAD, **state}, users=[user_id], group=None, skip=set())
    return state


def follow(user_id: int, root_id: int, following: object) -> dict[str, Any]:
    """Follow (True) or leave (False) the thread of ``root_id``; every
    connection of the user hears its new state."""
    return _write(user_id, root_id, following=bool(following))


def mark_read(user_id: int, root_id: int, up_to: int | None = None) -> dict[str, Any]:
    """Move the user's read position in the thread forward to reply ``up_to``
    (its latest reply if None; never back); every connection of theirs hears it."""
    return _write(user_id, root_id, up_to=up_to)
