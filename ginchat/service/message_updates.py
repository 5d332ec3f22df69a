"""Edits, reactions and mentions over HTTP: handlers over
ginchat/domain/message_updates.py and mentions.py, which the WebSocket
frames 15 and 16 use too."""

from flask import jsonify
from flask_login import current_user

from ginchat.domain import mentions
from ginchat.domain import message_updates as updates
from ginchat.limits import MAX_MSG_ID
from ginchat.utils import params, resp
from ginchat.utils.ratelimit import RateLimiter


def edit():
    """Edit my text message: its new text goes to every open conversation
    as a Type 15 frame (with `Edited`, the time of the edit in ms); history,
    sync and replay give the latest text with `Edited` set. Only the
    sender's own text messages, not recalled, within EDIT_SECONDS
    (0, the default: any time).
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: id, in: formData, type: integer, required: true, description: "the message Id"}
      - {name: content, in: formData, type: string, required: true, description: "the new text (at most MAX_CONTENT_CHARS); @name mentions members in a group"}
    responses:
      200: {description: "Data is the Type 15 frame {Type: 15, Id: the change's place in the Id sequence, MsgId, ChatType, UserId, TargetId, Content, Edited, Mentions, Reactions}", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing id or content, empty text, not a text message", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "after EDIT_SECONDS, or one may not write to the conversation any more", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such message of mine (others' look the same)", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the message is recalled", schema: {$ref: "#/definitions/Envelope"}}
      413: {description: "content longer than MAX_CONTENT_CHARS", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "over USER_CHANGE_RATE (edits and reactions) or USER_MSG_RATE (messages and changes) per user and second, on the socket and over HTTP, on every node together; see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    msg_id = params.get_int("id", required=True, minimum=1, maximum=MAX_MSG_ID)
    content = params.get_str("content", required=True, max_len=None, strip=False)
    RateLimiter.of().check_message(current_user.id)  # one budget with the socket's messages and changes
    return resp.ok(updates.edit_message(current_user.id, msg_id, content), msg="message edited")


def react():
    """Add or remove my emoji reaction to a message I may read. Idempotent:
    adding a reaction I gave, or removing one I did not, changes nothing.
    Everyone in the conversation gets the message's Type 15 frame with
    `Reactions` [{Emoji, Count, UserIds}]; history, sync and replay carry
    `Reactions` too. At most REACTIONS_PER_USER (20) different reactions of
    one person on one message.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: id, in: formData, type: integer, required: true, description: "the message Id"}
      - {name: emoji, in: formData, type: string, required: true, description: "one emoji (a single grapheme, at most 16 characters)"}
      - {name: remove, in: formData, type: boolean, default: false, description: "true: take the reaction back"}
    responses:
      200: {description: "Data is the message's Type 15 frame (its state now)", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing id, not one emoji, too many reactions", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "a private message of someone I may not write to (not a friend, or blocked either way)", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no message I may read with that Id", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the message is recalled", schema: {$ref: "#/definitions/Envelope"}}
      429: {description: "over USER_CHANGE_RATE (edits and reactions) or USER_MSG_RATE (messages and changes) per user and second, on the socket and over HTTP, on every node together; see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    msg_id = params.get_int("id", required=True, minimum=1, maximum=MAX_MSG_ID)
    emoji = params.get_str("emoji", required=True, max_len=64)
    remove = params.get_bool("remove")
    RateLimiter.of().check_message(current_user.id)  # as edit's
    frame = updates.react(current_user.id, msg_id, emoji, add=not remove)
    return resp.ok(frame, msg="reaction removed" if remove else "reaction added")


def mentions_of_me():
    """The group messages that mention me (`@name`) and that I may read,
    newest first, paged by `before`. A mention counts even in a muted
    conversation: Data.Unread is how many are above my read cursors,
    Data.Groups the same per group ([{GroupId, Unread}], only groups with some).
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: before, in: query, type: integer, description: "a message Id; only older mentions"}
      - {name: limit, in: query, type: integer, minimum: 1, maximum: 200, default: 50}
    responses:
      200: {description: "Rows are messages (newest first), Total counts my mentions, Data is {Unread, Groups: [{GroupId, Unread}]}", schema: {$ref: "#/definitions/MessageListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    before = params.get_int("before", minimum=1, maximum=MAX_MSG_ID)
    limit = params.get_int("limit", default=50, minimum=1, maximum=200)
    rows, total, unread = mentions.mentions_of(current_user.id, before, limit)
    data = {"Unread": sum(unread.values()), "Groups": [{"GroupId": g, "Unread": n} for g, n in sorted(unread.items())]}
    return jsonify(resp.envelope(0, "ok", data=data, rows=rows, total=total)), 200
