"""Thread routes: a thread's replies, the threads I follow with their unread
counts, following and leaving a thread, and reading it. The rules are
ginchat/domain/threads.py's; replies themselves are sent over the socket
(a message frame with RootId, docs/PROTOCOL.md)."""

from flask import jsonify
from flask_login import current_user

from ginchat.domain import threads
from ginchat.limits import MAX_MSG_ID
from ginchat.utils import resp, spec


@spec.params(
    spec.Int("rootId", required=True, minimum=1, maximum=MAX_MSG_ID, description="the root message's Id"),
    spec.Int(
        "before",
        minimum=1,
        maximum=MAX_MSG_ID,
        description="a reply Id: only older replies (the latest page if absent)",
    ),
    spec.Int(
        "after",
        minimum=0,
        maximum=MAX_MSG_ID,
        description="a reply Id: the limit replies right after it instead (reading on)",
    ),
    spec.Int("limit", default=50, minimum=1, maximum=200),
    where="query",
)
def thread(root_id, before, after, limit):
    """A thread: its root and replies (oldest first), with my follow mark,
    read position and unread count. Anyone who may read the root may read
    its thread, a recalled root's included.
    ---
    tags: [thread]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is my state of the thread with Root (the root message); Rows are replies, oldest first; Total counts the thread's replies", schema: {$ref: "#/definitions/ThreadEnvelope"}}
      400: {description: "a malformed parameter, or rootId is itself a reply (its thread is its root's)", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member of the group, or a message from before my history in it", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such message (others' private messages look the same)", schema: {$ref: "#/definitions/Envelope"}}
    """
    state, rows, total = threads.thread_of(current_user.id, root_id, before, after, limit)
    return jsonify(resp.envelope(0, "ok", data=state, rows=rows, total=total)), 200


@spec.params(
    spec.Int("page", default=1, minimum=1, maximum=100_000),
    spec.Int("size", default=20, minimum=1, maximum=100),
    where="query",
)
def followed(page, size):
    """The threads I follow and may read: those with unread replies first,
    then the latest reply first; each with my unread count. I follow the
    threads I started, replied to or was mentioned in (in a private chat,
    both sides follow), and any I follow by hand, until I leave them.
    ---
    tags: [thread]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are thread states with Root; Total counts my followed threads; Data.Unread how many of them have unread replies", schema: {$ref: "#/definitions/ThreadListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    rows, total, unread = threads.followed_threads(current_user.id, page, size)
    return jsonify(resp.envelope(0, "ok", data={"Unread": unread}, rows=rows, total=total)), 200


@spec.params(
    spec.Int("rootId", required=True, minimum=1, maximum=MAX_MSG_ID),
    spec.Bool("follow", default=True, description="false: stop following", arg="on"),
)
def follow(root_id, on):
    """Follow a thread (or leave it with follow=false). My other connections
    get my new state of it as a Type 23 frame.
    ---
    tags: [thread]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is my state of the thread", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "a malformed parameter, or rootId is a reply", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "a root I may not read", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such message", schema: {$ref: "#/definitions/Envelope"}}
    """
    return resp.ok(threads.follow(current_user.id, root_id, on), msg="following" if on else "not following")


@spec.params(
    spec.Int("rootId", required=True, minimum=1, maximum=MAX_MSG_ID),
    spec.Int("id", minimum=1, maximum=MAX_MSG_ID, description="a reply Id of the thread", arg="up_to"),
)
def mark_read(root_id, up_to):
    """Mark a thread read up to reply `id` (its latest reply if absent);
    forward only. My other connections get my new state of it (Type 23),
    so its unread count is the same on all my devices.
    ---
    tags: [thread]
    security: [{Bearer: []}]
    responses:
      200: {description: "Data is my state of the thread", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "a malformed parameter, or rootId is a reply", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "a root I may not read", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such message", schema: {$ref: "#/definitions/Envelope"}}
    """
    return resp.ok(threads.mark_read(current_user.id, root_id, up_to))
