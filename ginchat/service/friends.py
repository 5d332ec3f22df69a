"""Friend requests, removing and blocking friends: HTTP handlers over
ginchat/domain/friends.py."""

from flask_login import current_user

from ginchat.domain import friends
from ginchat.domain.people import public_request, public_requests, public_user, public_users, resolve_user
from ginchat.errors import bad_request
from ginchat.utils import params, resp


def _me():
    return current_user._get_current_object()


def target_user():
    """The user named by ``targetId`` or ``targetName``."""
    return resolve_user(params.get_id("targetId"), params.get_str("targetName", max_len=64))


# --- routes ------------------------------------------------------------------------
def request_friend_route():
    """Send a friend request; the other side accepts or declines it.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: targetName, in: formData, type: string, description: "the user's name"}
      - {name: targetId, in: formData, type: integer, description: "or the user's ID"}
    responses:
      201: {description: "request sent; Data is the request {ID, FromId, ToId, From, To, CreateTime}", schema: {$ref: "#/definitions/Envelope"}}
      200: {description: "they had asked you already: friends now; Data is the friend", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {description: "neither given, malformed, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/Blocked"}
      404: {$ref: "#/responses/NoSuchUser"}
      409: {description: "already friends, or asked already", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    req, now_friends = friends.request_friend(me, target)
    if now_friends:
        return resp.ok(public_user(target, me.id), msg=f"{target.name} is now your friend")
    return resp.ok(public_request(req, me.id), msg=f"friend request sent to {target.name}", status=201)


def friend_requests():
    """Pending friend requests to me and from me, newest first.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are requests {ID, FromId, ToId, From, To, CreateTime, Direction: in|out}", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    rows = []
    for row in public_requests(friends.requests_of(current_user.id), current_user.id):
        if row["From"] is None or row["To"] is None:
            continue  # a deactivated account
        row["Direction"] = "in" if row["ToId"] == current_user.id else "out"
        rows.append(row)
    return resp.ok_list(rows, len(rows))


def answer_request():
    """Accept or decline a friend request addressed to me.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: requestId, in: formData, type: integer, required: true}
      - {name: accept, in: formData, type: boolean, required: true, description: "true accepts, false declines"}
    responses:
      200: {description: "done; Data is the friend when accepted", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/Blocked"}
      404: {description: "no such request for me (others' requests look the same)", schema: {$ref: "#/definitions/Envelope"}}
    """
    request_id = params.get_id("requestId", required=True)
    if not params.present("accept"):
        raise bad_request("accept is required (true or false)")
    accept = params.get_bool("accept")
    me = _me()
    sender = friends.answer_request(me, request_id, accept)
    if not accept:
        return resp.ok(None, msg=f"declined {sender.name}'s request")
    return resp.ok(public_user(sender, me.id), msg=f"{sender.name} is now your friend")


def remove_friend():
    """End a friendship (both sides). The history stays readable for both.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: targetId, in: formData, type: integer}
      - {name: targetName, in: formData, type: string}
    responses:
      200: {description: "no longer friends", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "neither given or malformed", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {description: "no such user, or not a friend", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    friends.remove_friend(me, target)
    return resp.ok(None, msg=f"{target.name} is no longer your friend")


def block_user():
    """Block a user: the friendship and any pending request end, and they can
    neither message me nor ask again until I unblock them.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: targetId, in: formData, type: integer}
      - {name: targetName, in: formData, type: string}
    responses:
      200: {description: "blocked", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "neither given, malformed, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {$ref: "#/responses/NoSuchUser"}
      409: {description: "blocked already", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    friends.block_user(me, target)
    return resp.ok(None, msg=f"{target.name} is blocked")


def unblock_user():
    """Unblock a user (the friendship does not come back: ask again).
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: targetId, in: formData, type: integer}
      - {name: targetName, in: formData, type: string}
    responses:
      200: {description: "unblocked", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "neither given or malformed", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      404: {description: "no such user, or not blocked", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    friends.unblock_user(me, target)
    return resp.ok(None, msg=f"{target.name} is unblocked")


def blocked_users():
    """The users I have blocked.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are users", schema: {$ref: "#/definitions/UserListEnvelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    rows = public_users(friends.blocked_users(current_user.id), current_user.id)
    return resp.ok_list(rows, len(rows))
