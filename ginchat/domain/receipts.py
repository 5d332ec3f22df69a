"""Read cursors and "read by": a cursor moves forward only, never onto a
message its owner may not read; no read receipt passes between users where
one blocked the other, nor to members who joined after the message. Also
the unread counts and last messages the friend and group lists carry."""

from typing import Any

from ginchat.domain.access import SQL, app, may_read
from ginchat.errors import bad_request, forbidden
from ginchat.limits import MAX_MSG_ID
from ginchat.models import block, read_cursor
from ginchat.models import message as messages
from ginchat.models.contact import Contact
from ginchat.signals import read_moved

READ = 10  # the frame Type of a read receipt


def read_up_to(user_id: int, chat_type: int, target_id: int, up_to: int | None = None, relations: Any = SQL) -> int:
    """Move ``user_id``'s read cursor of a conversation (to its latest
    message when ``up_to`` is None) and tell the participants who may know.
    Returns the cursor."""
    after = may_read(user_id, chat_type, target_id, relations)
    if chat_type == messages.PRIVATE and target_id == user_id:
        raise bad_request("TargetId is yourself")
    conv = messages.conv_key(chat_type, user_id, target_id)
    cursor = read_cursor.advance(user_id, conv, up_to if up_to is not None else MAX_MSG_ID, after)
    if cursor is None:
        return read_cursor.cursor_of(user_id, conv)
    frame = {"Type": READ, "ChatType": chat_type, "UserId": user_id, "TargetId": target_id, "Id": cursor}
    hidden = block.blocked_with(user_id)
    if chat_type == messages.GROUP:
        hidden |= Contact.cannot_read(target_id, cursor)
        read_moved.send(app(), frame=frame, users=[user_id], group=target_id, skip=hidden - {user_id})
    else:
        users = [user_id] if target_id in hidden else [user_id, target_id]
        read_moved.send(app(), frame=frame, users=users, group=None, skip=set())
    return cursor


def read_by(viewer_id: int, chat_type: int, target_id: int) -> list[dict[str, Any]]:
    """[{UserId, Id, JoinId}] of every participant as ``viewer_id`` may see
    it: Id 0 for someone blocked either way, and for a cursor on a message
    from before the viewer's own history starts."""
    after = may_read(viewer_id, chat_type, target_id)
    conv = messages.conv_key(chat_type, viewer_id, target_id)
    if chat_type == messages.GROUP:
        joins = Contact.join_points(target_id)
        people = set(joins)
    else:
        if target_id == viewer_id:
            raise forbidden("a private conversation has two sides")
        joins = {}
        people = {viewer_id, target_id}
    found = read_cursor.cursors(conv, people)
    hidden = block.blocked_with(viewer_id) - {viewer_id}
    rows = []
    for uid in sorted(people):
        cursor = found.get(uid, 0)
        if uid in hidden or cursor <= after:
            cursor = 0
        rows.append({"UserId": uid, "Id": cursor, "JoinId": joins.get(uid, 0)})
    return rows


def add_friend_state(user_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Friend rows gain Unread (messages of theirs I have not read),
    LastMessage, ReadId (my cursor) and PeerReadId (theirs: my "read" ticks)."""
    convs = {row["ID"]: messages.conv_key(messages.PRIVATE, user_id, row["ID"]) for row in rows}
    unread, last = read_cursor.unread_and_last(user_id, convs.values())
    mine = read_cursor.cursor_map(user_id, convs.values())
    theirs = read_cursor.peer_cursors(convs)
    for row in rows:
        conv = convs[row["ID"]]
        row["Unread"] = unread.get(conv, 0)
        row["LastMessage"] = last.get(conv)
        row["ReadId"] = mine.get(conv, 0)
        row["PeerReadId"] = theirs.get(row["ID"], 0)
    return rows


def add_group_state(user_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group rows gain Unread (from my join on), LastMessage (the last one I
    may read) and ReadId."""
    convs = {row["ID"]: messages.conv_key(messages.GROUP, user_id, row["ID"]) for row in rows}
    unread, last = read_cursor.group_unread_and_last(user_id, convs)
    mine = read_cursor.cursor_map(user_id, convs.values())
    for row in rows:
        gid = row["ID"]
        row["Unread"] = unread.get(gid, 0)
        row["LastMessage"] = last.get(gid)
        row["ReadId"] = mine.get(convs[gid], 0)
    return rows
