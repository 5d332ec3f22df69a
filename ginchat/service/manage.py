"""Running a group (issue 9): members with roles, quit, and what only the
owner may do: remove a member, rename, change the icon or description, hand
the group to another member."""

from flask import current_app
from flask_login import current_user
from sqlalchemy import delete

from ginchat.chat import features
from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models import social
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic
from ginchat.utils import params, resp


def _engine():
    return current_app.extensions["chat"]


def _group():
    return Community.find(params.get_str("comId", required=True, max_len=64))


def _member_group():
    group = _group()
    if not Contact.is_member(current_user.id, group.id):
        raise forbidden(f"you are not a member of {group.name}")
    return group


def _owned_group():
    group = _member_group()
    if group.owner_id != current_user.id:
        raise forbidden(f"only the owner of {group.name} may do that")
    return group


def _member_of(group, user_id):
    if not Contact.is_member(user_id, group.id):
        raise not_found(f"user {user_id} is not a member of {group.name}")
    return user_id


def _public(group):
    from ginchat.service.group import public_groups

    return public_groups([group])[0]


def _removed(group, user_id, event, actor_id):
    engine = _engine()
    # The members (the removed one included) hear it before the maps forget them.
    features.notice(engine, event, users=[user_id], group=group.id, user_id=user_id, group_id=group.id,
                    actor_id=actor_id)
    features.removed(engine, {"Event": "unmember", "GroupId": group.id, "UserId": user_id})


# --- routes ------------------------------------------------------------------------
def group_members():
    """The members of a group I belong to, with their roles (owner first).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true, description: "the group's ID or exact name"}
    responses:
      200: {description: "Rows are users with Role (owner or member)", schema: {$ref: "#/definitions/UserListEnvelope"}}
      400: {description: "missing comId", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not a member", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.user import public_users

    group = _member_group()
    ids = Contact.member_ids(group.id)
    rows = public_users(UserBasic.many(sorted(ids)), current_user.id)
    for row in rows:
        row["Role"] = "owner" if row["ID"] == group.owner_id else "member"
    rows.sort(key=lambda r: (r["Role"] != "owner", r["Name"].casefold()))
    return resp.ok_list(rows, len(rows))


def quit_group():
    """Leave a group. The owner hands the group to another member first; an
    owner who is the last member dissolves it.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
    responses:
      200: {description: "left (or dissolved)", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing comId", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not a member", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the owner must hand the group to another member first", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = _member_group()
    me = current_user.id
    if group.owner_id == me:
        if Contact.member_ids(group.id) - {me}:
            raise conflict(f"you own {group.name}: hand it to another member before you leave")
        group_id, name = group.id, group.name
        social.leave_group(me, group_id)
        db.session.execute(delete(Community).where(Community.id == group_id))
        db.session.commit()
        engine = _engine()
        features.notice(engine, "group_dissolved", users=[me], user_id=me, group_id=group_id, actor_id=me)
        features.removed(engine, {"Event": "group_gone", "GroupId": group_id})
        return resp.ok(None, msg=f"{name} is dissolved")
    social.leave_group(me, group.id)
    db.session.commit()
    _removed(group, me, "member_left", me)
    return resp.ok(None, msg=f"you left {group.name}")


def remove_member():
    """The owner removes a member from the group.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
      - {name: userId, in: formData, type: integer, required: true}
    responses:
      200: {description: "removed", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing or malformed parameter, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not the owner", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group, or the user is not a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = _owned_group()
    user_id = params.get_id("userId", required=True)
    if user_id == current_user.id:
        raise bad_request("you cannot remove yourself: quit the group, or hand it over first")
    _member_of(group, user_id)
    social.leave_group(user_id, group.id)
    db.session.commit()
    _removed(group, user_id, "member_removed", current_user.id)
    return resp.ok(None, msg=f"user {user_id} removed from {group.name}")


def update_group():
    """The owner renames the group, or changes its icon or description (each optional).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
      - {name: name, in: formData, type: string, description: "a new unique name, by the rules of createCommunity"}
      - {name: icon, in: formData, type: string, description: "URL path of an uploaded picture; empty clears it"}
      - {name: desc, in: formData, type: string, description: "up to 255 characters; empty clears it"}
    responses:
      200: {description: "Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "malformed value", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not the owner", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "another group has that name, or one that looks like it (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.attach import check_icon

    group = _owned_group()
    name = params.get_str("name", max_len=64)
    icon = params.get_given("icon", max_len=255)
    desc = params.get_given("desc", max_len=255)
    if name is not None and name != group.name:
        group.set_name(name)
    if icon is not None:
        group.img = check_icon(icon) if icon else ""
    if desc is not None:
        group.desc = desc
    group.commit_name()
    features.notice(_engine(), "group_updated", group=group.id, user_id=current_user.id, group_id=group.id,
                    actor_id=current_user.id)
    return resp.ok(_public(group), msg=f"{group.name} updated")


def transfer_group():
    """The owner hands the group to another member (and stays a member).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
      - {name: userId, in: formData, type: integer, required: true, description: "the new owner, a member"}
    responses:
      200: {description: "Data is the group with its new OwnerId", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing or malformed parameter, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not the owner", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group, or the user is not a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = _owned_group()
    user_id = params.get_id("userId", required=True)
    if user_id == current_user.id:
        raise bad_request("you own the group already")
    _member_of(group, user_id)
    if UserBasic.get_active(user_id) is None:
        raise not_found(f"no user with ID {user_id}")
    group.owner_id = user_id
    db.session.commit()
    features.notice(_engine(), "owner_changed", group=group.id, user_id=user_id, group_id=group.id,
                    actor_id=current_user.id)
    return resp.ok(_public(group), msg=f"user {user_id} now owns {group.name}")

