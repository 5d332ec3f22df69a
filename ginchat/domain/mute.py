"""Muted conversations: a mark on the owner's own friend or member row, so
it follows them to every device; messages still arrive and count as
unread, only the alerts (notifications, sound) stay quiet."""

from ginchat.domain.access import app
from ginchat.errors import bad_request, not_found
from ginchat.extensions import db
from ginchat.models.contact import COMPLETELY, FRIEND, MEMBER, Contact
from ginchat.models.message import GROUP, PRIVATE
from ginchat.signals import notice


def set_muted(user_id, chat_type, target_id, muted, completely=False):
    """Mute or unmute one of ``user_id``'s conversations (404 for a friend or
    group they do not have); their other connections hear it (notice "muted").
    ``completely``: not even @all, @here or a mention of them alerts."""
    if chat_type not in (PRIVATE, GROUP):
        raise bad_request("type must be 1 (private) or 2 (group)")
    kind = FRIEND if chat_type == PRIVATE else MEMBER
    level = COMPLETELY if muted and completely else int(bool(muted))
    if not Contact.set_muted(user_id, target_id, kind, level):
        db.session.rollback()
        what = "friend" if chat_type == PRIVATE else "group you belong to"
        raise not_found(f"no {what} with ID {target_id}")
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


def add_muted(user_id, rows, chat_type):
    """Friend (chat_type PRIVATE) or group rows gain Muted."""
    kind = FRIEND if chat_type == PRIVATE else MEMBER
    muted = Contact.muted_ids(user_id, kind)
    completely = Contact.completely_muted_ids(user_id, kind) if muted else set()
    for row in rows:
        row["Muted"] = row["ID"] in muted
        row["MutedCompletely"] = row["ID"] in completely
    return rows
