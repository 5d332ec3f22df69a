"""Server frames as text, and the Types of the frames beyond messages
(docs/PROTOCOL.md describes them all)."""

from ginchat.utils.wire import dumps

ERROR = -1
READ, TYPING, PRESENCE, RECALL, NOTICE = 10, 11, 12, 13, 14

__all__ = ["ERROR", "NOTICE", "PRESENCE", "READ", "RECALL", "TYPING", "dumps", "error"]


def error(code, msg, client_msg_id=""):
    """The text of an error frame: the request ``client_msg_id`` failed."""
    return dumps({"Type": ERROR, "Code": code, "Msg": msg, "ClientMsgId": client_msg_id})
