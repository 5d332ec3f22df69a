"""Reading a client frame (dispatch in the Go GinChat): validation, then the rules
of who may write to whom, asked of ginchat.domain.access over this node's
relation maps."""

import json
import re

from ginchat.chat.wsevents import OVERSIZED
from ginchat.domain import access, mentions, replies, threads
from ginchat.errors import AppError
from ginchat.limits import MAX_ID, MAX_MSG_ID
from ginchat.models.contact import Contact
from ginchat.models.message import FILE, GROUP, HEARTBEAT, IMAGE, MEDIA_KINDS, PRIVATE, TEXT, VOICE
from ginchat.models.new_message import NewMessage
from ginchat.uploads import upload_info
from ginchat.utils.params import TOO_DEEP, field_label, first_unstorable, to_int, unstorable

MAX_VOICE_SECONDS = 3600
CLIENT_MSG_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
UPLOAD_URL_RE = re.compile(r"^/uploads/[A-Za-z0-9_\-]{1,64}\.[a-z0-9]{1,5}$")
# The Media that carry an upload's Url, and the kind of upload each needs.
UPLOAD_MEDIA = {VOICE: "voice", IMAGE: "image", FILE: "file"}


class FrameError(AppError):
    def __init__(self, status, msg, client_msg_id=""):
        super().__init__(status, msg)
        self.client_msg_id = client_msg_id


def int_field(fields, name, label, cmid, required=True, default=None, minimum=1, maximum=MAX_ID):
    """The integer ``fields[name]`` of a client frame (read by params.to_int,
    as HTTP parameters are), between ``minimum`` and ``maximum``; a missing
    one is ``default`` unless ``required``. Raises FrameError naming ``label``."""
    value = fields.get(name)
    if value is None:
        if required:
            raise FrameError(400, f"{label} is required", cmid)
        return default
    try:
        value = to_int(label, value)
    except AppError as exc:
        raise FrameError(exc.status, exc.msg, cmid) from None
    if not minimum <= value <= maximum:
        raise FrameError(400, f"{label} must be between {minimum} and {maximum}", cmid)
    return value


def _str_field(fields, name, label, cmid, max_len):
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FrameError(400, f"{label} must be a string", cmid)
    if len(value) > max_len:
        raise FrameError(413, f"{label} is longer than {max_len} characters", cmid)
    if "\x00" in value:  # PostgreSQL stores no NUL in text; refused alike everywhere
        raise FrameError(400, f"{label} must not contain NUL characters", cmid)
    return value


def _plain_text(text, data):
    """True when no string of the parsed frame can be unstorable or too deep,
    so the walk of every field can be skipped (a chat message, as clients
    send it): the frame's text is storable itself, has no ``\\u`` escape (the
    only way JSON spells a lone surrogate) and no field holds an object or
    a list."""
    if "\\u" in text or unstorable(text):
        return False
    for value in data.values():
        if isinstance(value, (dict, list)):
            return False
    return True


def parse_frame(text, max_content, max_frame, extra_types=()):
    """Return ("heartbeat", None) (("heartbeat", {"echo": n}) for a heartbeat
    that asks for an answer), ("message", fields) for a message (Type 1 or 2,
    its fields checked) or, for a Type in ``extra_types`` (frames that
    collaborators register with the engine), ("extra", fields), or raise
    FrameError. ``fields`` has lower-cased keys; fields["type"] is an int."""
    if text is OVERSIZED:  # read and dropped as it came (chat/wsevents.py)
        raise FrameError(413, f"the frame is larger than {max_frame} characters")
    if isinstance(text, (bytes, bytearray)):
        raise FrameError(400, "binary frames are not supported: send JSON text")
    if len(text) > max_frame:
        raise FrameError(413, f"the frame is larger than {max_frame} characters")
    try:
        data = json.loads(text)
    except ValueError:
        raise FrameError(400, "the frame is not valid JSON") from None
    except RecursionError:
        raise FrameError(400, f"the frame {TOO_DEEP}") from None
    if not isinstance(data, dict):
        found = first_unstorable(data, "the frame")
        raise FrameError(400, " ".join(found) if found else "the frame must be a JSON object")
    fields = {str(k).lower(): v for k, v in data.items()}
    cmid = fields.get("clientmsgid")
    if cmid is None or cmid == "":
        cmid = ""
    elif not isinstance(cmid, str) or not CLIENT_MSG_ID_RE.match(cmid):
        raise FrameError(400, "ClientMsgId must be 1 to 64 printable ASCII characters")
    fields["clientmsgid"] = cmid
    if not _plain_text(text, data):
        for key, value in data.items():  # every field, the extra frames' included
            found = first_unstorable(key, key) or first_unstorable(value, key)
            if found:
                raise FrameError(400, f"{field_label(found[0])} {found[1]}", cmid)
    msg_type = int_field(fields, "type", "Type", cmid, minimum=-MAX_ID - 1, maximum=MAX_ID)
    if msg_type == HEARTBEAT:
        if fields.get("echo") is None:
            return "heartbeat", None
        # {"Type": 3, "Echo": n}: the client asks for {"Type": 3, "Echo": n}
        # back, to tell a live connection from a dead network (issue 27).
        return "heartbeat", {"echo": int_field(fields, "echo", "Echo", cmid, minimum=0)}
    fields["type"] = msg_type
    if msg_type not in (PRIVATE, GROUP):
        if msg_type in extra_types:
            return "extra", fields
        raise FrameError(400, f"unknown Type {msg_type}: use 1 (private), 2 (group) or 3 (heartbeat)", cmid)
    fields["targetid"] = int_field(fields, "targetid", "TargetId", cmid)
    media = int_field(fields, "media", "Media", cmid, required=False, default=1, minimum=0, maximum=MAX_ID)
    if media not in MEDIA_KINDS:
        raise FrameError(400, "Media must be 1 (text), 2 (emoji), 3 (voice), 4 (image) or 5 (file)", cmid)
    fields["media"] = media
    fields["content"] = _str_field(fields, "content", "Content", cmid, max_content)
    fields["url"] = _str_field(fields, "url", "Url", cmid, 255)
    fields["amount"] = int_field(
        fields, "amount", "Amount", cmid, required=False, default=0, minimum=0, maximum=MAX_VOICE_SECONDS
    )
    if fields.get("replyto") in (0, "", None):
        fields["replyto"] = None
    else:
        fields["replyto"] = int_field(fields, "replyto", "ReplyTo", cmid, maximum=MAX_MSG_ID)
    _thread_fields(fields, cmid)
    if media in UPLOAD_MEDIA:
        if not fields["url"]:
            raise FrameError(400, "Url is required for voice, image and file messages", cmid)
        if not UPLOAD_URL_RE.match(fields["url"]):
            raise FrameError(400, "Url must be the path of an upload of this server (/uploads/...)", cmid)
    else:
        if not fields["content"].strip():
            raise FrameError(400, "Content is required for text and emoji messages", cmid)
        if fields["url"]:
            raise FrameError(400, "Url is only for voice, image and file messages", cmid)
    return "message", fields


def _thread_fields(fields, cmid):
    """RootId (a thread reply: its root's Id) and AlsoInChat (true: the
    conversation shows it too), both optional."""
    if fields.get("rootid") in (0, "", None):
        fields["rootid"] = None
    else:
        fields["rootid"] = int_field(fields, "rootid", "RootId", cmid, maximum=MAX_MSG_ID)
    also = fields.get("alsoinchat")
    if also is not None and not isinstance(also, bool):
        raise FrameError(400, "AlsoInChat must be true or false", cmid)
    if also and fields["rootid"] is None:
        raise FrameError(400, "AlsoInChat is for a thread reply: give its RootId", cmid)
    fields["alsoinchat"] = bool(also)


def check_upload(fields):
    """A voice, image or file message must point at a stored upload of that
    kind. A file message gets the file's name, size and type from the
    upload's row (fields["file_info"]), and its Url as Content: what a client
    that knows no Media 5 shows."""
    media = fields["media"]
    if media not in UPLOAD_MEDIA:
        return
    want = UPLOAD_MEDIA[media]
    info = upload_info(fields["url"])
    kind = None if info is None else info["kind"]
    if kind is None:
        raise FrameError(
            400,
            "Url names no upload of this server: upload the file with POST /attach/upload first",
            fields["clientmsgid"],
        )
    if kind != want:
        raise FrameError(400, f"Url is a {kind} upload, but Media {media} needs a {want}", fields["clientmsgid"])
    if media == FILE:
        fields["content"] = fields["url"]
        fields["amount"] = 0
        fields["file_info"] = json.dumps(
            {"Name": info["file_name"], "Size": int(info["size"]), "Mime": info["mime"]}, ensure_ascii=False
        )


def accept_message(engine, conn, fields):
    """A message frame (Type 1 or 2, as parse_frame left it), accepted: the
    sender's rate, the upload it points at, who may write to whom, the quoted
    message, thread root and mentions are checked (FrameError, or AppError that
    the engine turns into an error frame). Returns the NewMessage to store."""
    cmid = fields["clientmsgid"]
    engine.check_rate(conn, cmid)
    check_upload(fields)
    authorize(engine.rules, conn.user_id, fields["type"], fields["targetid"])
    reply_to, mentioned = reply_and_mentions(engine.rules, engine.redis, conn.user_id, fields)
    if engine.stopping:  # stop() is draining the store queue: nothing new joins it
        raise FrameError(503, "the server is shutting down; send it again after reconnecting", cmid)
    # By position, in the order of NewMessage's fields: the hot path (keywords cost more).
    item = NewMessage(
        conn.user_id,  # user_id
        fields["type"],
        fields["targetid"],
        fields["media"],
        fields["content"],
        fields["url"],
        fields["amount"],
        cmid,  # client_msg_id
        fields.get("file_info"),
        reply_to,
        mentioned,  # mentions
        None,  # mention_all
        (),  # alerted
        fields["rootid"],
        fields["alsoinchat"],  # in_chat
        None,  # forward
        0,  # create_time
        conn,
    )
    if fields.get("mention_all"):  # @all or @here (issue 28)
        item.mention_all, item.alerted = fields["mention_all"], fields["alerted"]
    return item


class MapRelations:
    """This node's relation maps answer the questions of ginchat.domain.access;
    what they do not cache (history floors) is read from SQL. The engine
    builds one (``engine.rules``) and hands it to the frame handlers."""

    def __init__(self, app, relations, direct_messages):
        self.app = app
        self.relations = relations
        self.friends = relations.friends
        self.groups = relations.groups
        self.direct_messages = direct_messages

    def check(self):
        """A removal on another node whose event was lost: the maps look again."""
        self.relations.check()

    def is_friend(self, user_id, other_id):
        return self.friends.has(user_id, other_id)

    def is_member(self, user_id, group_id):
        return self.groups.has(group_id, user_id)

    def history_after(self, user_id, group_id):
        with self.app.app_context():
            return Contact.history_after(user_id, group_id)

    def is_blocked(self, user_id, by_id):
        return self.relations.is_blocked(user_id, by_id)

    def is_account(self, user_id):
        return self.relations.accounts.has(0, user_id)

    def may_post(self, user_id, group_id):
        return self.relations.may_post(user_id, group_id)


def authorize(rules, user_id, msg_type, target_id):
    """Who may write to whom (ginchat.domain.access), over this node's maps
    (``rules``, a MapRelations)."""
    rules.check()  # a removal on another node whose event was lost
    access.may_write(user_id, msg_type, target_id, rules)


def reply_and_mentions(rules, redis, user_id, fields):
    """The quoted message checked (the same conversation, readable by the
    sender) and the members a group text mentions. Returns (reply_to, ids)."""
    reply_to = fields.get("replyto")
    mentioned = []
    group_text = fields["type"] == GROUP and fields["media"] == TEXT and "@" in fields["content"]
    root_id = fields.get("rootid")
    if not reply_to and not group_text and not root_id:
        return None, mentioned
    with rules.app.app_context():
        if root_id:  # a thread reply: its root is of this conversation, readable, and no reply itself
            threads.check_root(user_id, fields["type"], fields["targetid"], root_id, rules)
        if reply_to:
            replies.check_reply(user_id, fields["type"], fields["targetid"], reply_to, rules)
        if group_text:
            mentioned = mentions.resolve(fields["targetid"], fields["content"], user_id)
            broadcast_mentions(redis, user_id, fields)
    return reply_to, mentioned


def broadcast_mentions(redis, user_id, fields):
    """@all or @here in a group text (issue 28): allowed by the group's
    WhoMayMentionAll (else 403, nothing stored); fields["mention_all"] and
    fields["alerted"] (the members it alerts) are set. In an app context."""
    kind = mentions.broadcast_of(fields["content"])
    if kind is None:
        return
    mentions.check_broadcast(fields["targetid"], user_id)
    fields["mention_all"] = kind
    fields["alerted"] = mentions.alerted_by(fields["targetid"], user_id, kind, redis)
