"""Forwarding on the socket: client frame 22. The rules and the writes are
ginchat.domain.forwarding's, the same ``POST /message/forward`` calls; the
messages it stores come back through the ``message_stored`` signal and go
out like the store's: through the bus's ordered delivery here and on every
other node."""

from ginchat import signals
from ginchat.chat.dispatch import FrameError, int_field
from ginchat.chat.frames import dumps
from ginchat.domain import forwarding
from ginchat.errors import AppError


class Forwarding:
    def __init__(self, app, guard, rules, on_stored, stopping):
        """``guard(conn, fields)`` first checks every frame; ``rules`` (a
        MapRelations) answers who may read and write what; ``on_stored(frame,
        text)`` delivers a stored message (here and on every node);
        ``stopping()`` is true once the node shuts down. Handles frame
        forwarding.FORWARD (on_forward)."""
        self.app = app
        self.guard = guard
        self.rules = rules
        self.on_stored = on_stored
        self.stopping = stopping
        signals.message_stored.connect(self._stored, sender=app, weak=False)

    def on_forward(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        chat_type = int_field(fields, "chattype", "ChatType", cmid, minimum=1, maximum=2)
        target = int_field(fields, "targetid", "TargetId", cmid)
        merge = fields.get("merge", False)
        if not isinstance(merge, bool):
            raise FrameError(400, "Merge must be true or false", cmid)
        if self.stopping():
            raise FrameError(503, "the server is shutting down; send it again after reconnecting", cmid)
        with self.app.app_context():
            try:
                ids = forwarding.parse_ids(fields.get("ids"))
                _, old = forwarding.forward(
                    conn.user_id,
                    ids,
                    chat_type,
                    target,
                    merge,
                    fields.get("title"),
                    cmid,
                    self.rules,
                    counted=True,  # guard_frame counted it (USER_MSG_RATE)
                )
            except AppError as exc:
                raise FrameError(exc.status, exc.msg.replace("ids ", "Ids "), cmid) from None
        for frame in old:  # a resend: the sender gets the stored copies again
            conn.put(frame["Id"], dumps(frame))

    def _stored(self, sender, frames):
        for frame in frames:
            self.on_stored(frame, dumps(frame))
