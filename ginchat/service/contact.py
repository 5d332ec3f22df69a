"""Friend routes (the Go project's service/contact.go)."""

from flask import current_app
from flask_login import current_user

from ginchat.errors import bad_request
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic
from ginchat.service.user import public_users
from ginchat.signals import friendship_added
from ginchat.utils import params, resp


def add_friend_by(user, target_id=None, target_name=None):
    """Make ``user`` and the target friends; the rules live in Contact.add_friend."""
    if target_id is not None:
        target = UserBasic.must_get(target_id)
    elif target_name:
        target = UserBasic.find_by_name(target_name)
        if target is None:
            from ginchat.errors import not_found

            raise not_found(f"no user named {target_name!r}")
    else:
        raise bad_request("targetName or targetId is required")
    Contact.add_friend(user, target)
    friendship_added.send(current_app._get_current_object(), user_id=user.id, friend_id=target.id)
    return target


def search_friends():
    """My friends, with their online status.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are users", schema: {$ref: "#/definitions/UserListEnvelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
    """
    friends = Contact.friends(current_user.id)
    return resp.ok_list(public_users(friends), len(friends))


def add_friend():
    """Add a friend (mutual, immediately), by name or by ID.
    ---
    tags: [contact]
    security: [{Bearer: []}]
    parameters:
      - {name: targetName, in: formData, type: string, description: "the friend's name"}
      - {name: targetId, in: formData, type: integer, description: "or the friend's ID"}
    responses:
      200: {description: "friends now; Data is the friend", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {description: "neither given, malformed, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such user", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "already friends", schema: {$ref: "#/definitions/Envelope"}}
    """
    target = add_friend_by(
        current_user._get_current_object(),
        target_id=params.get_id("targetId"),
        target_name=params.get_str("targetName", max_len=64),
    )
    return resp.ok(public_users([target])[0], msg=f"{target.name} is now your friend")
