"""Friend routes (the Go project's service/contact.go)."""

from flask_login import current_user

from ginchat.domain import friends
from ginchat.domain.mute import add_muted, set_muted
from ginchat.domain.people import private_chats, public_request, public_users, resolve_user
from ginchat.domain.receipts import add_friend_state
from ginchat.models.contact import Contact
from ginchat.models.message import PRIVATE
from ginchat.settings import settings
from ginchat.utils import params, resp


def asks_first():
    """FRIEND_ADD=request: adding a friend sends a request instead."""
    return settings().friend_add == "request"


def befriend_or_ask(user, target_id=None, target_name=None):
    """What "add a friend" means on this server: (target, None) when friends
    now, (target, request) when a request was sent (FRIEND_ADD=request)."""
    target = resolve_user(target_id, target_name)
    if not asks_first():
        friends.add_friend_instant(user, target)  # the rules (yourself, blocks, friends already) live there
        return target, None
    req, _friends = friends.request_friend(user, target)
    return target, req


def search_friends():
    """My friends, with their online status, and Unread, LastMessage
    (a message or null), ReadId (my read cursor), PeerReadId (theirs) and
    Muted (I muted the conversation: /contact/mute) and MutedCompletely
    (muted with completely=true: not even a mention alerts). With chats=true, my
    private chats instead: the friends and, under DIRECT_MESSAGES=members,
    the colleagues I have a private conversation with (not blocked either
    way), by name, each with Relation (friend, or "" / requested / asking
    for a colleague, as /user/search says).
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: chats, in: formData, type: boolean, default: false, description: "true: the chat list's private chats, colleagues too"}
    responses:
      200: {description: "Rows are users", schema: {$ref: "#/definitions/UserListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    rows = Contact.friends(current_user.id)
    if params.get_bool("chats"):
        found = private_chats(current_user.id, rows)
    else:
        found = add_friend_state(current_user.id, public_users(rows, current_user.id))
    return resp.ok_list(add_muted(current_user.id, found, PRIVATE), len(found))


def add_friend():
    """Add a friend (mutual, immediately), by name or by ID. With
    FRIEND_ADD=request this sends a friend request instead (202, Data = the
    request; 200 and friends at once if they had asked you).
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: targetName, in: formData, type: string, description: "the friend's name"}
      - {name: targetId, in: formData, type: integer, description: "or the friend's ID"}
    responses:
      200: {description: "friends now; Data is the friend", schema: {$ref: "#/definitions/UserEnvelope"}}
      202: {description: "FRIEND_ADD=request: request sent; Data is the request", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "neither given, malformed, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/Blocked"}
      404: {$ref: "#/responses/NoSuchUser"}
      409: {description: "already friends", schema: {$ref: "#/definitions/Envelope"}}
    """
    target, req = befriend_or_ask(
        current_user._get_current_object(),
        target_id=params.get_id("targetId"),
        target_name=params.get_str("targetName", max_len=64),
    )
    if req is not None:
        return resp.ok(public_request(req, current_user.id), msg=f"friend request sent to {target.name}", status=202)
    return resp.ok(public_users([target], current_user.id)[0], msg=f"{target.name} is now your friend")


def mute():
    """Mute or unmute one of my conversations (a friend's, a colleague's
    under DIRECT_MESSAGES=members, a group's), on every device of mine: the
    friend and group lists carry Muted, and my other connections (with
    events=1) get a notice {"Event": "muted", "ChatType", "UserId" (the
    friend) or "GroupId", "Muted"}. Messages still arrive and count as
    unread; the app leaves out notifications and sound.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: type, in: formData, type: integer, enum: [1, 2], required: true, description: "1: a private chat (a friend's; under DIRECT_MESSAGES=members anyone's you may write to), 2: a group's"}
      - {name: targetId, in: formData, type: integer, required: true, description: "the other person's or the group's ID"}
      - {name: muted, in: formData, type: boolean, default: true, description: "false unmutes"}
      - {name: completely, in: formData, type: boolean, default: false, description: "true: not even @all, @here or a mention of me alerts (the lists carry MutedCompletely; the notice Completely)"}
    responses:
      200: {description: "Data is {ChatType, TargetId, Muted, Completely}", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "a private chat with someone blocked either way, or with yourself", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such account; under DIRECT_MESSAGES=friends not a friend of mine; not a group I belong to", schema: {$ref: "#/definitions/Envelope"}}
    """
    chat_type = params.get_int("type", required=True, minimum=1, maximum=2)
    target_id = params.get_id("targetId", required=True)
    completely = params.get_bool("completely")
    muted = set_muted(current_user.id, chat_type, target_id, params.get_bool("muted", default=True), completely)
    data = {"ChatType": chat_type, "TargetId": target_id, "Muted": muted, "Completely": bool(muted and completely)}
    return resp.ok(data, msg="muted" if muted else "unmuted")
