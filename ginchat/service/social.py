"""Friend requests, removing and blocking friends (issue 9), and the unread
counts and last messages the friend and group lists carry."""

from flask import current_app
from flask_login import current_user

from ginchat.errors import bad_request, not_found
from ginchat.models import message as messages
from ginchat.models import social
from ginchat.models.user_basic import UserBasic
from ginchat.signals import friendship_added
from ginchat.utils import params, resp


def _engine():
    return current_app.extensions["chat"]


def _me():
    return current_user._get_current_object()


def target_user():
    """The user named by ``targetId`` or ``targetName``."""
    return resolve_user(params.get_id("targetId"), params.get_str("targetName", max_len=64))


def resolve_user(target_id, target_name):
    if target_id is not None:
        return UserBasic.must_get(target_id)
    if target_name:
        user = UserBasic.find_by_name(target_name)
        if user is None:
            raise not_found(f"no user named {target_name!r}")
        return user
    raise bad_request("targetName or targetId is required")


def public_requests(reqs, viewer_id):
    """Friend requests with their two users as ``viewer_id`` may see them
    (From or To is null for a deactivated account); one lookup for all."""
    from ginchat.service.user import public_users

    ids = [i for req in reqs for i in (req.from_id, req.to_id)]
    users = {u["ID"]: u for u in public_users(UserBasic.many(ids), viewer_id)}
    return [req.public(users) for req in reqs]


def public_request(req, viewer_id):
    return public_requests([req], viewer_id)[0]


def befriend(user, target):
    """Friends now (both rows); both sides' lists and every node's map learn it."""
    social.make_friends(user, target)
    friendship_added.send(current_app._get_current_object(), user_id=user.id, friend_id=target.id)


def request_friend(user, target):
    """Ask ``target``; if they asked me already, that is a yes: friends now.
    Returns (request or None, friends now?)."""
    social.check_may_befriend(user, target)
    if social.pending_request(target.id, user.id) is not None:
        befriend(user, target)
        return None, True
    req = social.send_request(user, target)
    _engine().notices.notice("friend_request", users=[target.id], user_id=user.id, actor_id=user.id)
    return req, False


def add_friend_instant(user, target):
    social.check_may_befriend(user, target)
    befriend(user, target)


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
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "one of you has blocked the other", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such user", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "already friends, or asked already", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.user import public_users

    me, target = _me(), target_user()
    req, friends = request_friend(me, target)
    if friends:
        return resp.ok(public_users([target], me.id)[0], msg=f"{target.name} is now your friend")
    return resp.ok(public_request(req, me.id), msg=f"friend request sent to {target.name}", status=201)


def friend_requests():
    """Pending friend requests to me and from me, newest first.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are requests {ID, FromId, ToId, From, To, CreateTime, Direction: in|out}", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
    """
    rows = []
    for row in public_requests(social.requests_of(current_user.id), current_user.id):
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
      400: {description: "missing or malformed parameter", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "one of you has blocked the other", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such request for me (others' requests look the same)", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.user import public_users

    request_id = params.get_id("requestId", required=True)
    if not params.present("accept"):
        raise bad_request("accept is required (true or false)")
    accept = params.get_bool("accept")
    me = _me()
    req = social.take_request(request_id, me.id)
    sender = UserBasic.get_active(req.from_id)
    if sender is None:
        social.decline_request(req)
        raise not_found("the user who asked has left")
    if not accept:
        social.decline_request(req)
        _engine().notices.notice("friend_declined", users=[sender.id, me.id], user_id=me.id, actor_id=me.id)
        return resp.ok(None, msg=f"declined {sender.name}'s request")
    social.check_may_befriend(me, sender)
    befriend(me, sender)
    return resp.ok(public_users([sender], me.id)[0], msg=f"{sender.name} is now your friend")


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
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such user, or not a friend", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    social.remove_friend(me, target)
    _ended(me, target)
    return resp.ok(None, msg=f"{target.name} is no longer your friend")


def _ended(me, target):
    engine = _engine()
    engine.relations.removed({"Event": "unfriend", "UserId": me.id, "FriendId": target.id})
    engine.notices.notice("friend_removed", users=[me.id, target.id], user_id=target.id, actor_id=me.id)


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
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such user", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "blocked already", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    social.block(me, target)
    _ended(me, target)
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
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such user, or not blocked", schema: {$ref: "#/definitions/Envelope"}}
    """
    me, target = _me(), target_user()
    social.unblock(me, target)
    return resp.ok(None, msg=f"{target.name} is unblocked")


def blocked_users():
    """The users I have blocked.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are users", schema: {$ref: "#/definitions/UserListEnvelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.user import public_users

    rows = public_users(UserBasic.many(social.blocked_ids(current_user.id)), current_user.id)
    return resp.ok_list(rows, len(rows))


# --- what the lists carry ------------------------------------------------------------------
def add_friend_state(user_id, rows):
    """Friend rows gain Unread (messages of theirs I have not read),
    LastMessage, ReadId (my cursor) and PeerReadId (theirs: my "read" ticks)."""
    convs = {row["ID"]: messages.conv_key(messages.PRIVATE, user_id, row["ID"]) for row in rows}
    unread, last = social.unread_and_last(user_id, convs.values())
    mine = _cursor_map(user_id, convs.values())
    theirs = _peer_cursors(user_id, convs)
    for row in rows:
        conv = convs[row["ID"]]
        row["Unread"] = unread.get(conv, 0)
        row["LastMessage"] = last.get(conv)
        row["ReadId"] = mine.get(conv, 0)
        row["PeerReadId"] = theirs.get(row["ID"], 0)
    return rows


def add_group_state(user_id, rows):
    """Group rows gain Unread (from my join on), LastMessage (the last one I
    may read), ReadId and Role (mine: owner, admin or member)."""
    from ginchat.models.contact import ADMIN_ROLE, Contact

    convs = {row["ID"]: messages.conv_key(messages.GROUP, user_id, row["ID"]) for row in rows}
    unread, last = social.group_unread_and_last(user_id, convs)
    mine = _cursor_map(user_id, convs.values())
    roles = Contact.group_roles(user_id)
    for row in rows:
        gid = row["ID"]
        row["Unread"] = unread.get(gid, 0)
        row["LastMessage"] = last.get(gid)
        row["ReadId"] = mine.get(convs[gid], 0)
        if row["OwnerId"] == user_id:
            row["Role"] = "owner"
        else:
            row["Role"] = "admin" if roles.get(gid) == ADMIN_ROLE else "member"
    return rows


def _cursor_map(user_id, convs):
    from sqlalchemy import select

    from ginchat.extensions import db

    convs = sorted(set(convs))
    if not convs:
        return {}
    c = social.read_cursor.c
    return dict(db.session.execute(select(c.conv, c.msg_id).where(c.user_id == user_id, c.conv.in_(convs))).all())


def _peer_cursors(user_id, convs):
    from sqlalchemy import select

    from ginchat.extensions import db

    if not convs:
        return {}
    c = social.read_cursor.c
    query = select(c.user_id, c.msg_id).where(c.conv.in_(sorted(convs.values())), c.user_id.in_(sorted(convs)))
    result = {}
    for uid, msg_id in db.session.execute(query).all():
        result[int(uid)] = int(msg_id)  # friend uid's cursor on the one conversation we share
    return result

