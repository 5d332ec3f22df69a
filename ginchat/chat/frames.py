"""Server frames as text, and the Types of the frames beyond messages
(docs/PROTOCOL.md describes them all)."""

import json

ERROR = -1
READ, TYPING, PRESENCE, RECALL, NOTICE = 10, 11, 12, 13, 14


def dumps(frame):
    """A frame as compact JSON text, non-ASCII characters kept as they are."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def error(code, msg, client_msg_id=""):
    """The text of an error frame: the request ``client_msg_id`` failed."""
    return dumps({"Type": ERROR, "Code": code, "Msg": msg, "ClientMsgId": client_msg_id})
