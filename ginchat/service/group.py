"""Group routes (the Go project's community handlers in service/)."""

from flask import current_app
from flask_login import current_user

from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.signals import group_member_added
from ginchat.utils import params, resp


def public_groups(groups):
    counts = Contact.member_counts([grp.id for grp in groups])
    return [grp.public(counts.get(grp.id, 0)) for grp in groups]


def create_group(user, name, icon="", desc=""):
    from ginchat.service.attach import check_icon

    group = Community.create(user, name, check_icon(icon) if icon else "", desc)
    group_member_added.send(current_app._get_current_object(), group_id=group.id, user_id=user.id)
    return group


def join_group(user, com_id):
    group = Community.find(com_id)
    group.join(user)
    group_member_added.send(current_app._get_current_object(), group_id=group.id, user_id=user.id)
    return group


def create_community():
    """Create a group; its owner is its first member.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: name, in: formData, type: string, required: true, description: "unique, 1-32 characters, inner spaces allowed; stored in Unicode NFKC; no invisible or formatting characters, no combining-mark tricks, no confusable mix of scripts (Unicode TR39)"}
      - {name: icon, in: formData, type: string, description: "the URL path of an uploaded image"}
      - {name: desc, in: formData, type: string, description: "a description, up to 255 characters"}
    responses:
      201: {description: "Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing or invalid parameter", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "a group with that name exists, or with one that looks like it (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = create_group(
        current_user._get_current_object(),
        params.get_str("name", required=True, max_len=64),
        params.get_str("icon", max_len=255) or "",
        params.get_str("desc", max_len=255) or "",
    )
    return resp.ok(public_groups([group])[0], msg="group created", status=201)


def load_community():
    """The groups I own or belong to, with (issue 9) Unread, LastMessage,
    ReadId (my read cursor) and Role (owner or member).
    ---
    tags: [group]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are groups", schema: {$ref: "#/definitions/GroupListEnvelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
    """
    from ginchat.service.social import add_group_state

    groups = Community.of_member(current_user.id)
    return resp.ok_list(add_group_state(current_user.id, public_groups(groups)), len(groups))


def join_group_route():
    """Join a group by its ID or exact name.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true, description: "the group's ID or exact name"}
    responses:
      200: {description: "joined; Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing comId", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "already a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = join_group(current_user._get_current_object(), params.get_str("comId", required=True, max_len=64))
    return resp.ok(public_groups([group])[0], msg=f"joined {group.name}")
