"""Read receipts and recalls on the socket: frames 10 and 13. The rules and
the database writes are ginchat.domain's (receipts, recall), the same the
HTTP routes (/message/read, /message/recall) call; the frames those announce
reach their users through the ``read_moved`` and ``message_recalled`` signals
connected here."""

from sqlalchemy import func, select

from ginchat import signals
from ginchat.chat.dispatch import int_field
from ginchat.domain import recall, receipts
from ginchat.extensions import db
from ginchat.limits import MAX_MSG_ID
from ginchat.models import message as messages
from ginchat.models import message_record
from ginchat.models.community import Community
from ginchat.models.user_basic import UserBasic
from ginchat.uploads import forget_upload as forget_stored_upload
from ginchat.uploads import upload_name


class Receipts:
    def __init__(self, app, guard, rules, send):
        """``guard(conn, fields)`` first checks every frame; ``rules`` (a
        MapRelations) answers who may read what; ``send`` is Notices.send."""
        self.app = app
        self.guard = guard
        self.rules = rules
        self.send = send
        signals.read_moved.connect(self._announce, sender=app, weak=False)
        signals.message_recalled.connect(self._recalled, sender=app, weak=False)

    def read_up_to(self, user_id, chat_type, target_id, up_to=None):
        """Move ``user_id``'s read cursor over this node's relation maps. Returns the cursor."""
        with self.app.app_context():
            return receipts.read_up_to(user_id, chat_type, target_id, up_to, self.rules)

    def on_read(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        chat_type = int_field(fields, "chattype", "ChatType", cmid, minimum=1, maximum=2)
        target = int_field(fields, "targetid", "TargetId", cmid)
        up_to = int_field(fields, "id", "Id", cmid, required=False, maximum=MAX_MSG_ID)
        self.read_up_to(conn.user_id, chat_type, target, up_to)

    def recall(self, user_id, msg_id):
        """Take back ``user_id``'s message ``msg_id``. Returns the frame sent."""
        with self.app.app_context():
            return recall.recall_message(user_id, msg_id)

    def on_recall(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        msg_id = int_field(fields, "id", "Id", cmid, maximum=MAX_MSG_ID)
        self.recall(conn.user_id, msg_id)

    # --- what the domain announced (committed) --------------------------------------
    def _announce(self, sender, frame, users, group, skip):
        self.send(frame, users=users, group=group, skip=skip)

    def _recalled(self, sender, frame, users, group, skip, url, urls=()):
        self.send(frame, users=users, group=group, skip=skip)
        for each in sorted({url, *urls} - {""}):  # urls: a recalled chat record's items'
            forget_upload(each)


def forget_upload(url):
    """The picture, clip or file of a recalled message is deleted too (from
    SQL or the folder), unless a message (a forwarded copy included), an
    item of a chat record, an avatar or a group icon still points at it."""
    name = upload_name(url, aliases=True)
    if name is None:
        return
    c = messages.message_table.c
    used = (
        db.session.scalar(select(func.count()).where(c.url == url))
        or message_record.url_in_records(url)
        or db.session.scalar(select(func.count()).select_from(UserBasic).where(UserBasic.avatar == url))
        or db.session.scalar(select(func.count()).select_from(Community).where(Community.img == url))
    )
    if used:
        return
    forget_stored_upload(name)
