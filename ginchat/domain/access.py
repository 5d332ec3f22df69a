"""Who may write to and read a conversation: the one rule for the HTTP
routes and the WebSocket. The socket passes its cached relation maps, the
HTTP routes the SQL ones; both answer the same four questions."""

from flask import current_app

from ginchat.errors import bad_request, forbidden
from ginchat.models import block
from ginchat.models.contact import Contact
from ginchat.models.message import GROUP, PRIVATE


class SqlRelations:
    """The relations as SQL has them now (needs an app context)."""

    @staticmethod
    def is_friend(user_id, other_id):
        return Contact.is_friend(user_id, other_id)

    @staticmethod
    def is_member(user_id, group_id):
        return Contact.is_member(user_id, group_id)

    @staticmethod
    def history_after(user_id, group_id):
        return Contact.history_after(user_id, group_id)

    @staticmethod
    def is_blocked(user_id, by_id):
        return block.is_blocked(user_id, by_id)


SQL = SqlRelations()


def may_write(user_id, msg_type, target_id, relations=SQL):
    """A private message goes to a friend only, a group message comes from a
    member only; raises AppError (403, or 400 for an unknown type). Blocking
    ends the friendship in the same transaction, so a blocked user fails the
    friend check; the block is read only to say why."""
    if msg_type == PRIVATE:
        if target_id == user_id:
            raise forbidden("you cannot send a private message to yourself")
        if not relations.is_friend(user_id, target_id):
            if relations.is_blocked(user_id, target_id):
                raise forbidden(f"user {target_id} has blocked you")
            raise forbidden(f"user {target_id} is not your friend")
    elif msg_type == GROUP:
        if not relations.is_member(user_id, target_id):
            raise forbidden(f"not a member of group {target_id}")
    else:
        raise bad_request(f"unknown Type {msg_type}")


def may_change(user_id, row, relations=SQL):
    """An edit or a reaction is a write to the message's conversation: the
    rule of may_write with the other side of a private chat (so no change
    passes between two users while either has blocked the other, as no
    typing indicator does), a group's membership in a group. ``row`` is the
    stored message (type, user_id, target_id)."""
    other = row["target_id"]
    if row["type"] == PRIVATE and other == user_id:
        other = row["user_id"]
    may_write(user_id, row["type"], other, relations)


def may_read(user_id, msg_type, target_id, relations=SQL):
    """History is for participants: either side of a private chat (friends or
    not any more), a member of a group. Returns the Id after which the user
    may read the conversation (0: all of it): every read path filters by it."""
    if msg_type not in (PRIVATE, GROUP):
        raise bad_request("type must be 1 (private) or 2 (group)")
    if msg_type == PRIVATE:
        return 0
    if not relations.is_member(user_id, target_id):
        raise forbidden(f"not a member of group {target_id}")
    after = relations.history_after(user_id, target_id)
    if after is None:  # removed on another node, and this node's map has not heard yet
        raise forbidden(f"not a member of group {target_id}")
    return int(after)


def app():
    """The sender of every domain signal."""
    return current_app._get_current_object()
