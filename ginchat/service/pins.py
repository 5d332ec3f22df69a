"""Pinned and saved messages and group notices over HTTP (issue 28): handlers
over ginchat/domain/pins.py and announcements.py, which the WebSocket frames
20 and 21 use too."""

from flask_login import current_user

from ginchat.domain import announcements, pins
from ginchat.limits import MAX_ID, MAX_MSG_ID
from ginchat.utils import resp, spec
from ginchat.utils.ratelimit import RateLimiter


@spec.params(
    spec.Int("id", required=True, minimum=1, maximum=MAX_MSG_ID, description="the message Id", arg="msg_id"),
    spec.Bool("remove", description="true: unpin it"),
)
def pin(msg_id, remove):
    """Pin a message I may read to its conversation, or unpin it (remove).
    Either side of a private chat may (not while either blocked the other);
    in a group every member, or only the owner and the admins when its
    WhoMayPin is admins. Idempotent. Everyone in the conversation gets the
    Type 20 frame, which takes its place in the message Id sequence: a
    reconnect with `since` (and /message/sync with updates=true) replays it.
    At most 50 pinned messages in a conversation.
    ---
    tags: [message]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is the Type 20 frame {Type: 20, Id: the change's place in the Id sequence, MsgId, ChatType, UserId, TargetId (the message's sender and recipient), Pinned, PinnedBy, PinTime}", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing or malformed id; 50 pinned already", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "WhoMayPin is admins and I am a member; a private chat with someone blocked either way", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no message I may read with that Id", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "pinning a recalled message", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "over USER_CHANGE_RATE or USER_MSG_RATE per user and second (socket and HTTP together); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    RateLimiter.of().check_message(current_user.id)  # one budget with the socket's messages and changes
    frame = pins.pin(current_user.id, msg_id, pinned=not remove)
    return resp.ok(frame, msg="unpinned" if remove else "pinned")


@spec.params(
    spec.Int(
        "type", required=True, minimum=1, maximum=2, enum=(1, 2), description="1 private, 2 group", arg="msg_type"
    ),
    spec.Int(
        "targetId",
        required=True,
        minimum=1,
        maximum=MAX_ID,
        description="the other user, or the group",
        arg="target",
    ),
    where="query",
)
def pinned(msg_type, target):
    """The pinned messages of a conversation I may read, newest pin first:
    each a message with `Pin` {Id: the pin's place in the Id sequence,
    UserId: who pinned it, Time: when, ms}. A group's messages from before
    my join are left out when its History is join.
    ---
    tags: [message]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are messages with Pin; Total is their number", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member of the group", schema: {$ref: "#/definitions/Envelope"}}
    """
    rows = pins.pinned_messages(current_user.id, msg_type, target)
    return resp.ok_list(rows, len(rows))


@spec.params(
    spec.Int("id", required=True, minimum=1, maximum=MAX_MSG_ID, description="the message Id", arg="msg_id"),
    spec.Bool("remove", description="true: take it off my list"),
)
def save(msg_id, remove):
    """Save a message I may read to my own Saved list, or unsave it (remove).
    Idempotent. My other connections, on every node, get the Type 21 frame
    {Type: 21, MsgId, Saved, SaveTime}. Nobody else sees my list.
    ---
    tags: [message]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is the Type 21 frame", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing or malformed id; 5000 saved already", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {description: "no message I may read with that Id", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "saving a recalled message", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "over USER_CHANGE_RATE or USER_MSG_RATE per user and second; see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    RateLimiter.of().check_message(current_user.id)
    frame = pins.save(current_user.id, msg_id, saved=not remove)
    return resp.ok(frame, msg="unsaved" if remove else "saved")


@spec.params(
    spec.Int("page", default=1, minimum=1, maximum=100_000),
    spec.Int("size", default=50, minimum=1, maximum=100),
    where="query",
)
def saved(page, size):
    """My Saved list: the messages I saved and may still read (a group I
    left hides its messages), newest save first, each with SaveTime (ms).
    ---
    tags: [message]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are messages with SaveTime; Total counts them all", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    rows, total = pins.saved_messages(current_user.id, page, size)
    return resp.ok_list(rows, total)


@spec.params(
    spec.Str("comId", required=True, max_len=64, description="the group's ID or exact name", arg="com_id"),
    spec.Str(
        "notice",
        max_len=None,
        strip=False,
        description="the text, at most 2000 characters; empty or absent clears it",
        arg="text",
    ),
)
def set_notice(com_id, text):
    """The owner or an admin sets the group notice (群公告), shown to every
    member at the top of the group; an empty notice clears it. The change
    takes the next Id of the message sequence: every member gets a Type 24
    frame (in the Id order, on every node; replayed by `since` to who was
    away, and by /message/sync with updates=true) and a Type 14 notice
    `group_notice` with `Notice` {Text, UserId, Time, Id};
    /contact/loadcommunity gives each group's Notice with my Seen. The setter
    has seen it.
    ---
    tags: [group]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is the notice {Text, UserId, Time, Id (its place in the message Id sequence)}", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing comId, a notice over 2000 characters or with text no database stores", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member, or a member who is neither the owner nor an admin", schema: {$ref: "#/definitions/Envelope"}}
      404: {$ref: "#/responses/NoSuchGroup"}
    """
    text = text or ""
    group, notice = announcements.set_notice(current_user.id, com_id, text)
    return resp.ok(notice, msg=f"the notice of {group.name} is set" if notice["Text"] else "notice cleared")


@spec.params(
    spec.Str("comId", required=True, max_len=64, description="the group's ID or exact name", arg="com_id"),
    spec.Int(
        "id",
        minimum=0,
        maximum=MAX_MSG_ID,
        description="the notice's Id I read (Notice.Id); absent: the current one",
        arg="notice_id",
    ),
)
def see_notice(com_id, notice_id):
    """I have read the group's notice: it is not New for me any more, on any
    of my devices (/contact/loadcommunity's Notice.Seen; a replayed Type 24
    frame's Seen). My connections get a Type 14 notice `notice_seen` with
    GroupId and NoticeId (on every node). The mark never moves back.
    ---
    tags: [group]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is {GroupId, NoticeId: the notice I have seen}", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing comId, a malformed id, or an id above the group's notice", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member", schema: {$ref: "#/definitions/Envelope"}}
      404: {$ref: "#/responses/NoSuchGroup"}
    """
    group, seen = announcements.see_notice(current_user.id, com_id, notice_id)
    return resp.ok({"GroupId": group.id, "NoticeId": seen}, msg="notice seen")
