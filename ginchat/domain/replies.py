"""Replies: a message may quote (``ReplyTo``) an earlier message of the same
conversation that its sender may read."""

from typing import Any

from ginchat.domain.access import SQL, may_read
from ginchat.errors import bad_request, conflict, forbidden
from ginchat.models import message as messages


def check_reply(user_id: int, msg_type: int, target_id: int, reply_to: int, relations: Any = SQL) -> None:
    """Raise AppError unless ``user_id`` may quote message ``reply_to`` in the
    conversation (``msg_type``, ``target_id``)."""
    row = messages.row_of(reply_to)
    if row is None or row["conv"] != messages.conv_key(msg_type, user_id, target_id):
        raise bad_request(f"ReplyTo {reply_to} is no message of this conversation")
    after = may_read(user_id, msg_type, target_id, relations)
    if reply_to <= after:
        raise forbidden(f"you may not read message {reply_to}")
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {reply_to} is recalled")
