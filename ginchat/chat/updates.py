"""Edits and reactions on the socket: client frames 15 (edit) and 16
(react). The rules and writes are ginchat.domain.message_updates', the same
the HTTP routes (/message/edit, /message/react) call; the Type 15 frame each
change makes comes back through the ``message_updated`` signal and goes out
like a stored message: through the bus's ordered delivery here and on every
other node."""

from ginchat import signals
from ginchat.chat.dispatch import FrameError, int_field
from ginchat.chat.frames import dumps
from ginchat.domain import message_updates
from ginchat.limits import MAX_MSG_ID


class Updates:
    def __init__(self, app, guard, rules, on_stored):
        """``guard(conn, fields)`` first checks every frame; ``rules`` (a
        MapRelations) answers who may change what; ``on_stored(frame, text)``
        delivers a change like a stored message (here and on every node)."""
        self.app = app
        self.guard = guard
        self.rules = rules
        self.on_stored = on_stored
        signals.message_updated.connect(self._updated, sender=app, weak=False)

    def on_edit(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        msg_id = int_field(fields, "id", "Id", cmid, maximum=MAX_MSG_ID)
        content = fields.get("content")
        if content is not None and not isinstance(content, str):
            raise FrameError(400, "Content must be a string", cmid)
        with self.app.app_context():
            message_updates.edit_message(conn.user_id, msg_id, content, self.rules)

    def on_react(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        msg_id = int_field(fields, "id", "Id", cmid, maximum=MAX_MSG_ID)
        add = fields.get("add", True)
        if not isinstance(add, bool):
            raise FrameError(400, "Add must be true or false", cmid)
        with self.app.app_context():
            message_updates.react(conn.user_id, msg_id, fields.get("emoji"), add, self.rules)

    def _updated(self, sender, frame):
        self.on_stored(frame, dumps(frame))
