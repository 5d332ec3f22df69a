"""Read receipts and recalls on the chat side: frames 10 and 13 from a
client, and the same two actions for the HTTP routes (/message/read,
/message/recall), which call ``read_up_to`` and ``recall``."""

import os
import time

from sqlalchemy import func, select

from ginchat.chat.dispatch import _int_field, may_read
from ginchat.chat.frames import READ, RECALL
from ginchat.errors import bad_request
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import social
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic


class Receipts:
    def __init__(self, engine):
        self.engine = engine
        self.recall_ms = int(float(engine.app.config.get("RECALL_SECONDS", 120)) * 1000)

    def read_up_to(self, user_id, chat_type, target_id, up_to=None):
        """Move ``user_id``'s read cursor of a conversation (to its latest message
        when ``up_to`` is None; never onto a message they may not read) and tell
        the participants, except those blocked either way and, in a group, the
        members who joined after that message. Returns the cursor."""
        engine = self.engine
        send = engine.notices.send
        after = may_read(engine, user_id, chat_type, target_id)
        if chat_type == messages.PRIVATE and target_id == user_id:
            raise bad_request("TargetId is yourself")
        conv = messages.conv_key(chat_type, user_id, target_id)
        with engine.app.app_context():
            cursor = social.advance(user_id, conv, up_to if up_to is not None else 2**62, after)
            if cursor is None:
                return social.cursor_of(user_id, conv)
            frame = {"Type": READ, "ChatType": chat_type, "UserId": user_id, "TargetId": target_id, "Id": cursor}
            hidden = social.blocked_with(user_id)
            if chat_type == messages.GROUP:
                hidden |= Contact.cannot_read(target_id, cursor)
                send(frame, users=[user_id], group=target_id, skip=hidden - {user_id})
            else:
                send(frame, users=[user_id] if target_id in hidden else [user_id, target_id])
        return cursor

    def on_read(self, conn, fields):
        self.engine.guard_frame(conn, fields)
        cmid = fields["clientmsgid"]
        chat_type = _int_field(fields, "chattype", "ChatType", cmid, minimum=1, maximum=2)
        target = _int_field(fields, "targetid", "TargetId", cmid)
        up_to = _int_field(fields, "id", "Id", cmid, required=False, maximum=2**62)
        self.read_up_to(conn.user_id, chat_type, target, up_to)

    def recall(self, user_id, msg_id):
        """Take back ``user_id``'s message ``msg_id`` (within RECALL_SECONDS):
        blanked in SQL, gone from every open conversation. Returns the frame sent."""
        engine = self.engine
        send = engine.notices.send
        with engine.app.app_context():
            row = social.recall(user_id, msg_id, self.recall_ms, int(time.time() * 1000))
            frame = {"Type": RECALL, "Id": int(row["id"]), "ChatType": int(row["type"]), "UserId": user_id,
                     "TargetId": int(row["target_id"])}
            if row["type"] == messages.GROUP:
                send(frame, users=[user_id], group=row["target_id"],
                     skip=Contact.cannot_read(row["target_id"], row["id"]) - {user_id})
            else:
                send(frame, users=[user_id, row["target_id"]])
            if row.get("url"):
                _forget_upload(row["url"])
            db.session.remove()
        return frame

    def on_recall(self, conn, fields):
        self.engine.guard_frame(conn, fields)
        cmid = fields["clientmsgid"]
        msg_id = _int_field(fields, "id", "Id", cmid, maximum=2**62)
        self.recall(conn.user_id, msg_id)


def _forget_upload(url):
    """The picture or clip of a recalled message is deleted too, unless a
    message, an avatar or a group icon still points at it."""
    from ginchat.service.attach import upload_folder, upload_name  # a cycle at import

    name = upload_name(url, aliases=True)
    if name is None:
        return
    c = messages.message_table.c
    used = db.session.scalar(select(func.count()).where(c.url == url)) or db.session.scalar(
        select(func.count()).select_from(UserBasic).where(UserBasic.avatar == url)
    ) or db.session.scalar(select(func.count()).select_from(Community).where(Community.img == url))
    if used:
        return
    try:
        os.remove(os.path.join(upload_folder(), name))
    except OSError:
        pass
