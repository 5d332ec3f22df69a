"""Forwarding over HTTP (issue 28 item 3): handlers over
ginchat/domain/forwarding.py, which the WebSocket frame 22 uses too."""

from flask import jsonify
from flask_login import current_user

from ginchat.domain import forwarding
from ginchat.limits import MAX_MSG_ID
from ginchat.utils import params, resp


def forward():
    """Forward messages I may read to a conversation I may write to: one by
    one (each a new message like its original, with Forward: who wrote it
    and when), or merged into one chat record (Media 6, with Record; its
    items: GET /message/record). A forwarded picture, clip or file points
    at the same upload (no copy); it stays while any message points at it.
    The stored messages reach the conversation like any message (every
    node, since replay). The WebSocket frame 22 does the same (docs/PROTOCOL.md).
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: ids, in: formData, type: string, required: true, description: "the Ids of the messages, all of one conversation: \\"12,15,16\\" (or a JSON list); at most 100 merged, 20 one by one; sent in the order of their Ids"}
      - {name: type, in: formData, type: integer, required: true, enum: [1, 2], description: "where to: 1 a private chat, 2 a group"}
      - {name: targetId, in: formData, type: integer, required: true, description: "the user or the group"}
      - {name: merge, in: formData, type: boolean, default: false, description: "true: one chat record; false: one message each"}
      - {name: title, in: formData, type: string, maxLength: 64, description: "a chat record's title (default: the group's name, or the two people's)"}
      - {name: clientMsgId, in: formData, type: string, description: "as a message's ClientMsgId: a resend stores nothing new; one by one, the n-th message (from 0) after the first gets clientMsgId~n"}
    responses:
      201: {description: "Rows are the messages stored (a resend: those stored before), in Id order", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {description: "missing or malformed parameter; messages of several conversations; too many; a chat record inside a merge", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "you may not write to that conversation (blocked, not a member, not a friend with DIRECT_MESSAGES=friends)", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "a message you may not read (or none with that Id), or no such account", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "a message is recalled", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "too many messages (USER_MSG_RATE)", schema: {$ref: "#/definitions/Envelope"}}
    """
    ids = forwarding.parse_ids(params.raw("ids") if params.present("ids") else None)
    chat_type = params.get_int("type", required=True, minimum=1, maximum=2)
    target = params.get_id("targetId", required=True)
    merge = params.get_bool("merge")
    title = params.get_str("title", max_len=forwarding.TITLE_CHARS)
    cmid = params.get_str("clientMsgId", max_len=64)
    new, old = forwarding.forward(current_user.id, ids, chat_type, target, merge, title, cmid or "")
    rows = sorted(new + old, key=lambda f: f["Id"])
    return jsonify(resp.envelope(0, "ok", rows=rows, total=len(rows))), 201 if new else 200


def record():
    """The messages of a chat record (Media 6) I may read: each as it was
    when forwarded (sender's name, time, content), in order.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: id, in: query, type: integer, required: true, description: "the chat record's message Id"}
    responses:
      200: {description: "Data is the card (Title, Count, Preview); Rows the items", schema: {$ref: "#/definitions/RecordEnvelope"}}
      400: {description: "missing or malformed id, or a message that is no chat record", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {description: "no message with that Id that you may read", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the chat record is recalled", schema: {$ref: "#/definitions/Envelope"}}
    """
    msg_id = params.get_int("id", required=True, minimum=1, maximum=MAX_MSG_ID)
    card, items = forwarding.record_of(current_user.id, msg_id)
    return jsonify(resp.envelope(0, "ok", data=card, rows=items, total=len(items))), 200
