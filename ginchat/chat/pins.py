"""Pins, saved messages and announcement groups on the socket (issue 28):
client frames 20 (pin) and 21 (save). The rules and writes are
ginchat.domain.pins', the same the HTTP routes call. A pin's Type 20 frame
goes out through the ``message_updated`` signal, like an edit (in the Id
order, on every node); a save's Type 21 frame to the saver's own
connections everywhere; and when who may write in a group narrows, every
node's map of its writers forgets it (a removal, as a kick is)."""

from ginchat import signals
from ginchat.chat.dispatch import FrameError, int_field
from ginchat.chat.events import WritersChanged
from ginchat.domain import pins
from ginchat.limits import MAX_MSG_ID


class Pins:
    def __init__(self, app, guard, rules, send, removed):
        """``guard(conn, fields)`` first checks every frame; ``rules`` (a
        MapRelations) answers who may do what; ``send`` is Notices.send and
        ``removed`` Relations.removed. Handles frames pins.PIN (on_pin) and
        pins.SAVE (on_save)."""
        self.app = app
        self.guard = guard
        self.rules = rules
        self.send = send
        self.removed = removed
        signals.message_saved.connect(self._saved, sender=app, weak=False)
        signals.group_rules_changed.connect(self._rules_changed, sender=app, weak=False)

    def _flag(self, fields, name, label, cmid):
        value = fields.get(name, True)
        if not isinstance(value, bool):
            raise FrameError(400, f"{label} must be true or false", cmid)
        return value

    def on_pin(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        msg_id = int_field(fields, "id", "Id", cmid, maximum=MAX_MSG_ID)
        pinned = self._flag(fields, "pin", "Pin", cmid)
        with self.app.app_context():
            pins.pin(conn.user_id, msg_id, pinned, self.rules)

    def on_save(self, conn, fields):
        self.guard(conn, fields)
        cmid = fields["clientmsgid"]
        msg_id = int_field(fields, "id", "Id", cmid, maximum=MAX_MSG_ID)
        saved = self._flag(fields, "save", "Save", cmid)
        with self.app.app_context():
            pins.save(conn.user_id, msg_id, saved, self.rules)

    # --- what the domain announced (committed) --------------------------------------
    def _saved(self, sender, frame, user_id):
        self.send(frame, users=[user_id])

    def _rules_changed(self, sender, group_id):
        self.removed(WritersChanged(int(group_id)))
