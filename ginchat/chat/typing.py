"""The typing indicator: frame 11 from a client, shown to the person it names
(whom the sender may write to: ginchat.domain.access.may_message)."""

import time
import weakref

from ginchat.chat.dispatch import FrameError, authorize, int_field
from ginchat.chat.frames import TYPING
from ginchat.models import message as messages
from ginchat.settings import settings

REMEMBERED = 256  # friends a connection's last indicators are kept for


class Typing:
    def __init__(self, app, guard, rules, send):
        """``guard(conn, fields)`` first checks every frame; ``rules`` (a
        MapRelations) answers who may write to whom; ``send`` is Notices.send."""
        self.app = app
        self.guard = guard
        self.rules = rules
        self.send = send
        self.interval = settings(app).typing_interval
        self.sent = weakref.WeakKeyDictionary()  # connection -> {friend id: when the last indicator went}

    def on_frame(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        target = int_field(fields, "targetid", "TargetId", cmid)
        if int_field(fields, "chattype", "ChatType", cmid, required=False, default=1, minimum=1, maximum=2) != 1:
            raise FrameError(400, "typing is shown in private chats only", cmid)
        authorize(self.rules, conn.user_id, messages.PRIVATE, target)
        # Coalesced: at most one indicator per friend and TYPING_INTERVAL per connection.
        last = self.sent.setdefault(conn, {})
        now = time.monotonic()
        if now - last.get(target, -1e9) < self.interval:
            return
        if len(last) > REMEMBERED:
            last.clear()
        last[target] = now
        with self.app.app_context():
            self.send({"Type": TYPING, "UserId": conn.user_id, "TargetId": target}, users=[target])
