"""Muted conversations: a mark on the owner's own friend or member row (a
colleague's private chat, DIRECT_MESSAGES=members: a CHAT row), so it
follows them to every device; messages still arrive and count as
unread, only the alerts (notifications, sound) stay quiet."""

from typing import Any

from ginchat.domain.access import FRIENDS, app, direct_messages, may_message
from ginchat.errors import bad_request, not_found
from ginchat.extensions import db
from ginchat.models.contact import CHAT, COMPLETELY, FRIEND, MEMBER, Contact
from ginchat.models.message import GROUP, PRIVATE
from ginchat.signals import notice


def set_muted(user_id: int, chat_type: int, target_id: int, muted: object, completely: bool = False) -> bool:
    """Mute or unmute one of ``user_id``'s conversations (404 for a friend or
    group they do not have); their other connections hear it (notice "muted").
    ``completely``: not even @all, @here or a mention of them alerts."""
    if chat_type not in (PRIVATE, GROUP):
        raise bad_request("type must be 1 (private) or 2 (group)")
    level = COMPLETELY if muted and completely else int(bool(muted))
    if chat_type == PRIVATE:
        _mute_private(user_id, target_id, level)
    elif not Contact.set_muted(user_id, target_id, MEMBER, level):
        db.session.rollback()
        raise not_found(f"no group you belong to with ID {target_id}")
    db.session.commit()
    notice.send(
        app(),
        event="muted",
        users=[user_id],
        group=None,
        user_id=target_id if chat_type == PRIVATE else 0,
        group_id=target_id if chat_type == GROUP else 0,
        actor_id=user_id,
        extra={"ChatType": chat_type, "Muted": bool(muted), "Completely": bool(muted and completely)},
    )
    return bool(muted)


def _mute_private(user_id: int, target_id: int, muted: int) -> None:
    """A friend's chat, or one with anyone the user may message (may_message:
    a colleague under DIRECT_MESSAGES=members; 403 blocked, 404 no account).
    ``muted``: the level (0, 1 or COMPLETELY). A mute made before a
    friendship (or after it ended) stands on the CHAT row; unmuting clears
    both."""
    if not Contact.is_friend(user_id, target_id):
        if direct_messages() == FRIENDS:
            raise not_found(f"no friend with ID {target_id}")
        may_message(user_id, target_id)
    elif muted:
        Contact.set_muted(user_id, target_id, FRIEND, muted)
        return
    Contact.set_muted(user_id, target_id, FRIEND, muted)
    Contact.set_chat_muted(user_id, target_id, muted)


def add_muted(user_id: int, rows: list[dict[str, Any]], chat_type: int) -> list[dict[str, Any]]:
    """Private chat (chat_type PRIVATE: a friend's or a colleague's) or group
    rows gain Muted and MutedCompletely."""
    kinds = (FRIEND, CHAT) if chat_type == PRIVATE else (MEMBER,)
    muted = set().union(*(Contact.muted_ids(user_id, kind) for kind in kinds))
    completely = set().union(*(Contact.completely_muted_ids(user_id, kind) for kind in kinds)) if muted else set()
    for row in rows:
        row["Muted"] = row["ID"] in muted
        row["MutedCompletely"] = row["ID"] in completely
    return rows
