"""Running a group: members with roles, quit, adding friends, what the owner
and the admins may do (the rules of use: who may write, pin, use @all) and
what only the owner may do (remove a member, rename, change the icon,
description or other settings, make admins, hand the group over): HTTP handlers over
ginchat/domain/groups.py."""

from flask_login import current_user

from ginchat.domain import groups
from ginchat.domain.people import public_users
from ginchat.errors import bad_request
from ginchat.service.group import public_groups, setting_params
from ginchat.uploads import check_icon
from ginchat.utils import params, resp


def _com_id():
    return params.get_str("comId", required=True, max_len=64)


def _public(group):
    return public_groups([group])[0]


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
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member", schema: {$ref: "#/definitions/Envelope"}}
      404: {$ref: "#/responses/NoSuchGroup"}
    """
    _group, members = groups.members_with_roles(current_user.id, _com_id())
    rows = public_users([user for user, _role in members], current_user.id)
    for row, (_user, role) in zip(rows, members, strict=True):
        row["Role"] = role
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
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "not a member", schema: {$ref: "#/definitions/Envelope"}}
      404: {$ref: "#/responses/NoSuchGroup"}
      409: {description: "the owner must hand the group to another member first", schema: {$ref: "#/definitions/Envelope"}}
    """
    name, dissolved = groups.quit_group(current_user.id, _com_id())
    if dissolved:
        return resp.ok(None, msg=f"{name} is dissolved")
    return resp.ok(None, msg=f"you left {name}")


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
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotOwner"}
      404: {description: "no such group, or the user is not a member", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "removed by another request at the same time", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = groups.owned_group(current_user.id, _com_id())
    user_id = params.get_id("userId", required=True)
    groups.remove_member(current_user.id, group, user_id)
    return resp.ok(None, msg=f"user {user_id} removed from {group.name}")


def update_group():
    """The owner renames the group, or changes its icon, description or
    settings (each optional). An admin changes whoMayMentionAll, whoMayPin
    and whoMayWrite (the rest is the owner's: 403, nothing changed; a field
    sent with the value it has passes); only the owner sets whoMayMentionAll
    to nobody, which binds the owner too, or changes it from nobody. The
    members get a group_updated notice (ActorId: who changed it).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true}
      - {name: name, in: formData, type: string, description: "a new unique name, by the rules of createCommunity"}
      - {name: icon, in: formData, type: string, description: "URL path of an uploaded picture; empty clears it"}
      - {name: desc, in: formData, type: string, description: "up to 255 characters; empty clears it"}
      - {name: policy, in: formData, type: string, enum: [open, invite], description: "open: anyone with the ID or name joins; invite: members add people (/contact/addMember)"}
      - {name: history, in: formData, type: string, enum: [all, join], description: "what people who join from now on read: all earlier messages, or only those from their join on"}
      - {name: whoMayAdd, in: formData, type: string, enum: [members, admins], description: "who may add people: every member, or only the owner and the admins"}
      - {name: whoMayMentionAll, in: formData, type: string, enum: [members, admins, nobody], description: "who may write @all and @here: every member, only the owner and the admins (the default), or nobody"}
      - {name: whoMayPin, in: formData, type: string, enum: [members, admins], description: "who may pin and unpin messages (/message/pin): every member, or only the owner and the admins"}
      - {name: whoMayWrite, in: formData, type: string, enum: [members, admins], description: "who may write: every member, or only the owner and the admins (an announcement group: members read, their messages are refused with 403)"}
    responses:
      200: {description: "Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "malformed value", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "neither the owner nor an admin, or an admin changing what only the owner changes", schema: {$ref: "#/definitions/Envelope"}}
      404: {$ref: "#/responses/NoSuchGroup"}
      409: {description: "another group has that name, or one that looks like it (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = groups.run_group(current_user.id, _com_id())
    name = params.get_str("name", max_len=64)
    icon = params.get_given("icon", max_len=255)
    desc = params.get_given("desc", max_len=255)
    settings = setting_params(
        {
            "policy": None,
            "history": None,
            "whoMayAdd": None,
            "whoMayMentionAll": None,
            "whoMayPin": None,
            "whoMayWrite": None,
        }
    )
    groups.update_group(current_user.id, group, name, icon, desc, settings, check_icon)
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
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotOwner"}
      404: {description: "no such group, or the user is not a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = groups.owned_group(current_user.id, _com_id())
    user_id = params.get_id("userId", required=True)
    groups.transfer_group(current_user.id, group, user_id)
    return resp.ok(_public(group), msg=f"user {user_id} now owns {group.name}")


def add_member():
    """A member adds someone they may message to the group: any account
    (DIRECT_MESSAGES=members, unless either blocked the other) or a friend
    (DIRECT_MESSAGES=friends). The way into an invite-only group; it also
    lets back in someone the owner removed.
    With whoMayAdd=admins only the owner and the admins may add. The added
    person gets a member_added notice and the group's messages from then on
    (and its earlier ones if History is all).
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true, description: "the group's ID or exact name"}
      - {name: userId, in: formData, type: integer, required: true, description: "someone you may message (a friend, with DIRECT_MESSAGES=friends)"}
    responses:
      200: {description: "added; Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing or malformed parameter, or yourself", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "you are not a member or not allowed to add, or one of you blocked the other, or (DIRECT_MESSAGES=friends) they are not your friend", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group or user", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "already a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    user_id = params.get_id("userId", required=True)
    group, target = groups.add_member(current_user._get_current_object(), _com_id(), user_id)
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
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotOwner"}
      404: {description: "no such group, or the user is not a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = groups.owned_group(current_user.id, _com_id())
    user_id = params.get_id("userId", required=True)
    if not params.present("admin"):
        raise bad_request("admin is required (true or false)")
    admin = params.get_bool("admin")
    groups.set_admin(current_user.id, group, user_id, admin)
    role = "an admin" if admin else "a member"
    return resp.ok(None, msg=f"user {user_id} is {role} of {group.name} now")
