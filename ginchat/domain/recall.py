"""Recall: a sender takes back their own message within RECALL_SECONDS; it
is blanked in place (Id and Seq stay) and every open conversation hears it."""

import time
from typing import Any

from ginchat.domain.access import app
from ginchat.errors import conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import message_record as records
from ginchat.models.contact import Contact
from ginchat.settings import settings
from ginchat.signals import message_recalled

RECALL = 13  # the frame Type of a recall


def window_ms() -> int:
    return int(settings().recall_seconds * 1000)


def recall_message(user_id: int, msg_id: int) -> dict[str, Any]:
    """Blank ``user_id``'s message ``msg_id`` for good and tell everyone who
    may read it. Returns the frame sent."""
    window = window_ms()
    row = messages.row_of(msg_id)
    if row is None or row["user_id"] != user_id:
        # Someone else's message looks like a missing one: no probing of Ids.
        raise not_found(f"you have no message {msg_id}")
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled already")
    if int(time.time() * 1000) - int(row["create_time"]) > window:
        raise forbidden(f"a message can be recalled within {window // 1000} seconds only")
    done = messages.blank(msg_id, user_id)
    # A chat record's items go with it: the uploads they point at may go too.
    urls = []
    if row["media"] == records.RECORD:
        urls = records.urls_of(msg_id)
        records.delete_items(db.session, [msg_id])
    db.session.commit()
    if not done:
        raise conflict(f"message {msg_id} is recalled already")
    frame = {
        "Type": RECALL,
        "Id": int(row["id"]),
        "ChatType": int(row["type"]),
        "UserId": user_id,
        "TargetId": int(row["target_id"]),
    }
    if row["type"] == messages.GROUP:
        skip = Contact.cannot_read(row["target_id"], row["id"]) - {user_id}
        message_recalled.send(
            app(), frame=frame, users=[user_id], group=row["target_id"], skip=skip, url=row.get("url") or "", urls=urls
        )
    else:
        message_recalled.send(
            app(),
            frame=frame,
            users=[user_id, row["target_id"]],
            group=None,
            skip=set(),
            url=row.get("url") or "",
            urls=urls,
        )
    return frame
