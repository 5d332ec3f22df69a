"""Read cursors and recall over HTTP: handlers over ginchat/domain/receipts.py
and recall.py, which the WebSocket frames 10 and 13 use too."""

from flask_login import current_user

from ginchat.domain import recall as recalls
from ginchat.domain import receipts
from ginchat.limits import MAX_MSG_ID
from ginchat.utils import params, resp


def _conversation():
    chat_type = params.get_int("type", required=True, minimum=1, maximum=2)
    target = params.get_id("targetId", required=True)
    return chat_type, target


def mark_read():
    """Mark a conversation read up to a message Id (or all of it). The cursor
    only moves forward; it stops at the conversation's last message <= id.
    Both sides (private) or every member (group) get a Type 10 frame.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: type, in: formData, type: integer, required: true, enum: [1, 2], description: "1 private, 2 group"}
      - {name: targetId, in: formData, type: integer, required: true, description: "the other user, or the group"}
      - {name: id, in: formData, type: integer, description: "a message Id; absent: the latest"}
    responses:
      200: {description: "Data is {Id: my read cursor now}", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member of the group", schema: {$ref: "#/definitions/Envelope"}}
    """
    chat_type, target = _conversation()
    up_to = params.get_int("id", minimum=1, maximum=MAX_MSG_ID)
    cursor = receipts.read_up_to(current_user.id, chat_type, target, up_to)
    return resp.ok({"Id": cursor})


def read_cursors():
    """How far each participant has read a conversation: both sides of a
    private chat, every member of a group. A member read message m when
    JoinId < m <= Id (the sender's own not counted): JoinId is the group's
    last message when they joined (0 in private chats). Only real reads
    count: a newcomer's Id is 0 until they read. Id is 0 too for someone
    you blocked or who blocked you, and for a cursor on a message from
    before your own join when you read only from it on.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: type, in: query, type: integer, required: true, enum: [1, 2]}
      - {name: targetId, in: query, type: integer, required: true}
    responses:
      200: {description: "Rows are {UserId, Id, JoinId} (Id 0: nothing read yet)", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member of the group", schema: {$ref: "#/definitions/Envelope"}}
    """
    chat_type, target = _conversation()
    rows = receipts.read_by(current_user.id, chat_type, target)
    return resp.ok_list(rows, len(rows))


def recall():
    """Recall (withdraw) a message of mine within RECALL_SECONDS (120): it
    is blanked for good (Id and Seq stay; history, sync and replay show it as
    {"Media": 0, "Content": "", "Recalled": true}) and every open
    conversation gets a Type 13 frame.
    ---
    tags: [message]
    security: [{Bearer: []}]
    parameters:
      - {name: id, in: formData, type: integer, required: true, description: "the message Id"}
    responses:
      200: {description: "Data is the recall frame {Type: 13, Id, ChatType, UserId, TargetId}", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing or malformed id", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "too late: older than RECALL_SECONDS", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such message of mine (others' look the same)", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "recalled already", schema: {$ref: "#/definitions/Envelope"}}
    """
    msg_id = params.get_int("id", required=True, minimum=1, maximum=MAX_MSG_ID)
    frame = recalls.recall_message(current_user.id, msg_id)
    return resp.ok(frame, msg="message recalled")
