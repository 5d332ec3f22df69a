"""Running a group (issue 9): members with roles, quit, adding friends, and
what only the owner may do: remove a member, rename, change the icon,
description or settings, make admins, hand the group to another member."""

from flask import current_app
from flask_login import current_user

from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models import social
from ginchat.models.community import Community, check_setting
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic, commit_or_conflict
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
    engine.notices.notice(event, users=[user_id], group=group.id, user_id=user_id, group_id=group.id,
                          actor_id=actor_id)
    engine.relations.removed({"Event": "unmember", "GroupId": group.id, "UserId": user_id})


# --- routes ------------------------------------------------------------------------
def group_members():
    """The members of a group I belong to, with their roles (owner first).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true, description: "the group's ID or exact name"}
    responses:
      200: {description: "Rows are users with Role (owner, admin or member)", schema: {$ref: "#/definitions/UserListEnvelope"}}
      400: {description: "missing comId", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not a member", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.user import public_users

    group = _member_group()
    roles = Contact.member_roles(group.id)
    rows = public_users(UserBasic.many(sorted(roles)), current_user.id)
    for row in rows:
        row["Role"] = group.role_of(row["ID"], roles.get(row["ID"]))
    rows.sort(key=lambda r: (r["Role"] != "owner", r["Name"].casefold()))
    return resp.ok_list(rows, len(rows))


def quit_group():
    """Leave a group. The owner hands the group to another member first; an
    owner who is the last member dissolves it: its messages, read cursors
    and removal records go with it.
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
        group.dissolve()
        engine = _engine()
        engine.notices.notice("group_dissolved", users=[me], user_id=me, group_id=group_id, actor_id=me)
        engine.relations.removed({"Event": "group_gone", "GroupId": group_id})
        return resp.ok(None, msg=f"{name} is dissolved")
    social.leave_group(me, group.id)
    db.session.commit()
    _removed(group, me, "member_left", me)
    return resp.ok(None, msg=f"you left {group.name}")


def remove_member():
    """The owner removes a member from the group. They cannot rejoin on
    their own, even an open group, until a member adds them back
    (/contact/addMember).
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
      409: {description: "removed by another request at the same time", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = _owned_group()
    user_id = params.get_id("userId", required=True)
    if user_id == current_user.id:
        raise bad_request("you cannot remove yourself: quit the group, or hand it over first")
    _member_of(group, user_id)
    group.remove_member(user_id)
    commit_or_conflict(f"user {user_id} was removed from {group.name} already")
    _removed(group, user_id, "member_removed", current_user.id)
    return resp.ok(None, msg=f"user {user_id} removed from {group.name}")


def update_group():
    """The owner renames the group, or changes its icon, description or
    settings (each optional). The members get a group_updated notice.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
      - {name: name, in: formData, type: string, description: "a new unique name, by the rules of createCommunity"}
      - {name: icon, in: formData, type: string, description: "URL path of an uploaded picture; empty clears it"}
      - {name: desc, in: formData, type: string, description: "up to 255 characters; empty clears it"}
      - {name: policy, in: formData, type: string, enum: [open, invite], description: "open: anyone with the ID or name joins; invite: members add their friends"}
      - {name: history, in: formData, type: string, enum: [all, join], description: "what people who join from now on read: all earlier messages, or only those from their join on"}
      - {name: whoMayAdd, in: formData, type: string, enum: [members, admins], description: "who may add people: every member, or only the owner and the admins"}
    responses:
      200: {description: "Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "malformed value", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not the owner", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "another group has that name, or one that looks like it (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.attach import check_icon

    from ginchat.service.group import setting_params

    group = _owned_group()
    name = params.get_str("name", max_len=64)
    icon = params.get_given("icon", max_len=255)
    desc = params.get_given("desc", max_len=255)
    settings = {param: check_setting(param, value)
                for param, value in setting_params({"policy": None, "history": None, "whoMayAdd": None}).items()}
    group.policy = settings.get("policy", group.policy)
    group.history = settings.get("history", group.history)
    group.who_may_add = settings.get("whoMayAdd", group.who_may_add)
    if name is not None and name != group.name:
        group.set_name(name)
    if icon is not None:
        group.img = check_icon(icon) if icon else ""
    if desc is not None:
        group.desc = desc
    group.commit_name()
    _engine().notices.notice("group_updated", group=group.id, user_id=current_user.id, group_id=group.id,
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
    _engine().notices.notice("owner_changed", group=group.id, user_id=user_id, group_id=group.id,
                             actor_id=current_user.id)
    return resp.ok(_public(group), msg=f"user {user_id} now owns {group.name}")



def add_member():
    """A member adds one of their friends to the group (the way into an
    invite-only group; it also lets back in someone the owner removed).
    With whoMayAdd=admins only the owner and the admins may add. The added
    person gets a member_added notice and the group's messages from then on
    (and its earlier ones if History is all).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true, description: "the group's ID or exact name"}
      - {name: userId, in: formData, type: integer, required: true, description: "a friend of yours"}
    responses:
      200: {description: "added; Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing or malformed parameter, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "you are not a member or not allowed to add, or they are not your friend (or one of you blocked the other)", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group or user", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "already a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.group import member_added

    user_id = params.get_id("userId", required=True)
    group = _group()
    target = UserBasic.must_get(user_id)
    row = group.add_member(current_user._get_current_object(), target)
    member_added(group, target.id, current_user.id, row.history_id)
    return resp.ok(_public(group), msg=f"{target.name} added to {group.name}")


def set_admin():
    """The owner makes a member an admin, or takes it back. Admins may add
    people when the group's WhoMayAdd is admins.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
      - {name: userId, in: formData, type: integer, required: true, description: "a member"}
      - {name: admin, in: formData, type: boolean, required: true, description: "true makes them an admin, false a member"}
    responses:
      200: {description: "done", schema: {$ref: "#/definitions/Envelope"}}
      400: {description: "missing or malformed parameter, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "not the owner", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group, or the user is not a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = _owned_group()
    user_id = params.get_id("userId", required=True)
    if not params.present("admin"):
        raise bad_request("admin is required (true or false)")
    admin = params.get_bool("admin")
    if user_id == current_user.id:
        raise bad_request("you own the group: you may do everything already")
    group.set_admin(user_id, admin)
    _engine().notices.notice("group_updated", group=group.id, user_id=user_id, group_id=group.id,
                             actor_id=current_user.id)
    role = "an admin" if admin else "a member"
    return resp.ok(None, msg=f"user {user_id} is {role} of {group.name} now")
