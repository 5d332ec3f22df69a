"""Group routes (the Go project's community handlers in service/)."""

from flask import current_app
from flask_login import current_user

from ginchat.models.community import ALL, MEMBERS, OPEN, Community
from ginchat.models.contact import Contact
from ginchat.signals import group_member_added
from ginchat.uploads import check_icon
from ginchat.utils import params, resp


def public_groups(groups):
    counts = Contact.member_counts([grp.id for grp in groups])
    return [grp.public(counts.get(grp.id, 0)) for grp in groups]


def create_group(user, name, icon="", desc="", policy=OPEN, history=ALL, who_may_add=MEMBERS):
    group = Community.create(user, name, check_icon(icon) if icon else "", desc, policy, history, who_may_add)
    member_added(group, user.id, user.id, 0)
    return group


def join_group(user, com_id):
    group = Community.find(com_id)
    row = group.join(user)
    member_added(group, user.id, user.id, row.history_id)
    return group


def member_added(group, user_id, actor_id, history_id):
    """Every node's map learns the member (and their join point); the group hears it."""
    group_member_added.send(current_app._get_current_object(), group_id=group.id, user_id=user_id,
                            actor_id=actor_id, history_id=int(history_id or 0))


def setting_params(defaults):
    """The group settings among the parameters: {param: value}, absent ones
    from ``defaults`` (None leaves them out)."""
    found = {}
    for param, default in defaults.items():
        value = params.get_str(param, max_len=16)
        if value is None:
            value = default
        if value is not None:
            found[param] = value
    return found


def create_community():
    """Create a group; its owner is its first member.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: name, in: formData, type: string, required: true, description: "unique, 1-32 characters, inner spaces allowed; stored in Unicode NFKC; no invisible or formatting characters, no combining-mark tricks, no confusable mix of scripts (Unicode TR39)"}
      - {name: icon, in: formData, type: string, description: "the URL path of an uploaded image"}
      - {name: desc, in: formData, type: string, description: "a description, up to 255 characters"}
      - {name: policy, in: formData, type: string, enum: [open, invite], default: open, description: "open: anyone with the group's ID or name joins (/contact/joinGroup); invite: members add their friends (/contact/addMember)"}
      - {name: history, in: formData, type: string, enum: [all, join], default: all, description: "what newcomers read: all earlier messages, or only those from their join on"}
      - {name: whoMayAdd, in: formData, type: string, enum: [members, admins], default: members, description: "who may add people: every member, or only the owner and the admins (/contact/setAdmin)"}
    responses:
      201: {description: "Data is the group, with its Policy, History and WhoMayAdd", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing or invalid parameter", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "a group with that name exists, or with one that looks like it (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    settings = setting_params({"policy": OPEN, "history": ALL, "whoMayAdd": MEMBERS})
    group = create_group(
        current_user._get_current_object(),
        params.get_str("name", required=True, max_len=64),
        params.get_str("icon", max_len=255) or "",
        params.get_str("desc", max_len=255) or "",
        settings["policy"], settings["history"], settings["whoMayAdd"],
    )
    return resp.ok(public_groups([group])[0], msg="group created", status=201)


def load_community():
    """The groups I own or belong to, with (issue 9) Unread, LastMessage,
    ReadId (my read cursor) and Role (owner, admin or member). Unread counts
    from my join on; LastMessage is the last message I may read.
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
    """Join an open group by its ID or exact name. An invite-only group
    refuses (its members add people), and so does a group whose owner
    removed you, until a member adds you back.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: comId, in: formData, type: string, required: true, description: "the group's ID or exact name"}
    responses:
      200: {description: "joined; Data is the group", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing comId", schema: {$ref: "#/definitions/Envelope"}}
      401: {description: "not logged in", schema: {$ref: "#/definitions/Envelope"}}
      403: {description: "the group is invite-only, or its owner removed you", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "no such group", schema: {$ref: "#/definitions/Envelope"}}
      409: {description: "already a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = join_group(current_user._get_current_object(), params.get_str("comId", required=True, max_len=64))
    return resp.ok(public_groups([group])[0], msg=f"joined {group.name}")
