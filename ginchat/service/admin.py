"""Administrators' routes: thin handlers over ginchat/domain/admin.py (the rules
and the audit log). Every one answers 403 to anyone but an administrator
(invitations: also members, when INVITES_BY_MEMBERS is true)."""

from flask import current_app
from flask_login import current_user

from ginchat.auth import public
from ginchat.domain import admin
from ginchat.models.user_basic import utc_ms
from ginchat.service.group import public_groups
from ginchat.utils import params, resp


def me():
    return current_user._get_current_object()


def users():
    """Every account (deactivated ones too), for administrators.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: q, in: formData, type: string, description: "part of the name (case-folded)"}
      - {name: page, in: formData, type: integer, minimum: 1, default: 1}
      - {name: size, in: formData, type: integer, minimum: 1, maximum: 100, default: 20}
    responses:
      200: {description: "Rows are users with Role and Deactivated, Total counts them", schema: {$ref: "#/definitions/UserListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
    """
    admin.require_admin(me())
    query = params.get_str("q", max_len=64) or ""
    page = params.get_int("page", default=1, minimum=1, maximum=10_000_000)
    size = params.get_int("size", default=20, minimum=1, maximum=100)
    rows, total = admin.list_accounts(query, page, size)
    return resp.ok_list([admin.admin_view(u) for u in rows], total)


def create_user():
    """Create an account (whatever REGISTRATION says), by the rules of createUser.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: name, in: formData, type: string, required: true}
      - {name: password, in: formData, type: string, required: true, description: "6-128 characters; tell it to its owner"}
    responses:
      201: {description: "Data is the account", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      409: {description: "the name is taken, or looks like one that is", schema: {$ref: "#/definitions/Envelope"}}
    """
    admin.require_admin(me())  # a 403 before any parameter is looked at
    name = params.get_str("name", required=True, max_len=64)
    password = params.get_str("password", required=True, max_len=256, strip=False)
    user = admin.create_account(me(), name, password)
    return resp.ok(admin.admin_view(user), msg="account created", status=201)


def set_role():
    """Make an account an administrator (role=admin) or take it back (role=member);
    the last administrator stays one.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: userId, in: formData, type: integer, required: true}
      - {name: role, in: formData, type: string, enum: ["admin", "member"], required: true, description: "admin, or member (not an administrator)"}
    responses:
      200: {description: "Data is the account", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchUser"}
      409: {description: "it is the last administrator", schema: {$ref: "#/definitions/Envelope"}}
    """
    user_id = params.get_id("userId", required=True)
    role = params.get_str("role", required=True, max_len=16)
    return resp.ok(admin.admin_view(admin.set_role(me(), user_id, role)), msg="role set")


def deactivate():
    """Deactivate an account: it cannot log in, its sessions, tokens and sockets
    end at once on every node, others no longer find it; its messages stay.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: userId, in: formData, type: integer, required: true}
    responses:
      200: {description: "Data is the account", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchUser"}
      409: {description: "it is the last administrator", schema: {$ref: "#/definitions/Envelope"}}
    """
    user = admin.deactivate(me(), params.get_id("userId", required=True))
    return resp.ok(admin.admin_view(user), msg="deactivated")


def reactivate():
    """Reactivate a deactivated account: it may log in again and others find it.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: userId, in: formData, type: integer, required: true}
    responses:
      200: {description: "Data is the account", schema: {$ref: "#/definitions/UserEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchUser"}
    """
    user = admin.reactivate(me(), params.get_id("userId", required=True))
    return resp.ok(admin.admin_view(user), msg="reactivated")


def delete_user():
    """Delete an account as its owner's own deletion does (every session ends).
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: userId, in: formData, type: integer, required: true}
    responses:
      200: {description: "deleted", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchUser"}
      409: {description: "it is the last administrator", schema: {$ref: "#/definitions/Envelope"}}
    """
    admin.delete_account(me(), params.get_id("userId", required=True))
    return resp.ok(msg="account deleted")


def groups():
    """Every group (name, owner, members count, policy), for administrators.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: q, in: formData, type: string, description: "part of the name (case-folded)"}
      - {name: page, in: formData, type: integer, minimum: 1, default: 1}
      - {name: size, in: formData, type: integer, minimum: 1, maximum: 100, default: 20}
    responses:
      200: {description: "Rows are groups with OwnerName and Orphaned (the owner is deactivated or deleted)", schema: {$ref: "#/definitions/GroupListEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
    """
    query = params.get_str("q", max_len=64) or ""
    page = params.get_int("page", default=1, minimum=1, maximum=10_000_000)
    size = params.get_int("size", default=20, minimum=1, maximum=100)
    rows, total = admin.list_groups(me(), query, page, size)
    return resp.ok_list(rows, total)


def transfer_group():
    """Hand an orphaned group (its owner deactivated or deleted) to one of its members.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: integer, required: true}
      - {name: userId, in: formData, type: integer, required: true, description: "an active member"}
    responses:
      200: {description: "Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {description: "no such group, or the user is not an active member of it", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "the owner is active (they hand it over themselves)", schema: {$ref: "#/definitions/Envelope"}}
    """
    com_id = params.get_id("comId", required=True)
    group = admin.transfer_group(me(), com_id, params.get_id("userId", required=True))
    return resp.ok(public_groups([group])[0], msg="group handed over")


def dissolve_group():
    """Dissolve a group with its messages; its members hear it on every node.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: integer, required: true}
    responses:
      200: {description: "dissolved", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchGroup"}
    """
    admin.dissolve_group(me(), params.get_id("comId", required=True))
    return resp.ok(msg="group dissolved")


def default_groups():
    """Mark a group as default, so that every new account joins it (like
    #general), or take the mark away. DEFAULT_GROUPS names the first ones;
    the mark is what counts from then on (a restart does not undo it).
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: integer, required: true}
      - {name: default, in: formData, type: boolean, default: true, description: "true: new accounts join it; false: no longer"}
      - {name: everyone, in: formData, type: boolean, default: false, description: "with default=true: every existing account joins it now too (each hears member_added); those its owner removed stay out"}
    responses:
      200: {description: "Data is the group (Default says the mark) with Joined: how many joined now", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchGroup"}
    """
    default = params.get_bool("default", default=True)
    group, joined = admin.set_default_group(
        me(), params.get_id("comId", required=True), default, params.get_bool("everyone")
    )
    data = group.public(admin.member_count(group)) | {"Joined": joined}
    return resp.ok(data, msg=f"{group.name} is {'now' if default else 'no longer'} a default group")


def default_groups_list():
    """The default groups: those every new account joins (issue 27), as
    /admin/groups shows them; the admin page lists them beside the switch.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are the groups marked default (Default is true), in ID order, with OwnerName and Orphaned; Total counts them", schema: {$ref: "#/definitions/GroupListEnvelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
    """
    rows = admin.list_default_groups(me())
    return resp.ok_list(rows, len(rows))


def reset_link():
    """Issue a one-time password-reset link for an account (valid an hour);
    the token is shown only in this answer.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: userId, in: formData, type: integer, required: true}
    responses:
      201: {description: "Data is {Token, Link, Expires}", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
      404: {$ref: "#/responses/NoSuchUser"}
    """
    token, row, user = admin.issue_reset(me(), params.get_id("userId", required=True))
    data = {
        "UserId": user.id,
        "Token": token,
        "Link": f"/resetPassword?token={token}",
        "Expires": utc_ms(row.expires_at),
    }
    return resp.ok(data, msg="reset link made", status=201)


@public
def reset_password():
    """Set a new password with a reset link's token (used once); every session of the account ends.
    ---
    tags: [user]
    consumes: [application/x-www-form-urlencoded, application/json]
    parameters:
      - {name: token, in: formData, type: string, required: true}
      - {name: password, in: formData, type: string, required: true, description: "6-128 characters"}
    responses:
      200: {description: "the password is set; log in with it", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      403: {description: "the token is invalid, used or expired", schema: {$ref: "#/definitions/Envelope"}}
    """
    token = params.get_str("token", required=True, max_len=200)
    password = params.get_str("password", required=True, max_len=256, strip=False)
    admin.use_reset(token, password)
    return resp.ok(msg="password set; log in with it")


def audit_log():
    """The administrators' actions, newest first, a page at a time.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    parameters:
      - {name: page, in: formData, type: integer, minimum: 1, default: 1}
      - {name: size, in: formData, type: integer, minimum: 1, maximum: 100, default: 50}
    responses:
      200: {description: "Rows are {ID, Time, ActorId, Action, TargetUserId, TargetGroupId, Detail}", schema: {$ref: "#/definitions/Envelope"}}
      400: {$ref: "#/responses/BadParameter"}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
    """
    admin.require_admin(me())
    page = params.get_int("page", default=1, minimum=1, maximum=10_000_000)
    size = params.get_int("size", default=50, minimum=1, maximum=100)
    rows, total = admin.audit_page(page, size)
    return resp.ok_list([row.public() for row in rows], total)


def nodes():
    """Every node of the server (the admin page's server view): connections,
    bus counters, last heartbeat, database and Redis status, as each node last
    published them. A node three snapshots late is stale; one silent for
    NODES_FORGET_AFTER seconds is gone from the list.
    ---
    tags: [admin]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are nodes, the answering one first; Total counts them", schema: {$ref: "#/definitions/NodeListEnvelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {$ref: "#/responses/NotAdmin"}
    """
    admin.require_admin(me())
    rows = current_app.extensions["chat"].nodes.listing()
    return resp.ok_list(rows, len(rows))
