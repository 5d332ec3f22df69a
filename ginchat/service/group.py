"""Group routes (the Go project's community handlers in service/): HTTP
handlers over ginchat/domain/groups.py; running a group is in members.py."""

from flask_login import current_user

from ginchat.domain import groups
from ginchat.domain.mute import add_muted
from ginchat.domain.people import search_groups
from ginchat.domain.receipts import add_group_state
from ginchat.models.community import ALL, MEMBERS, OPEN, Community
from ginchat.models.contact import Contact
from ginchat.models.message import GROUP
from ginchat.service import search_request
from ginchat.uploads import check_icon
from ginchat.utils import params, resp


def public_groups(rows):
    counts = Contact.member_counts([grp.id for grp in rows])
    return [grp.public(counts.get(grp.id, 0)) for grp in rows]


def create_group(user, name, icon="", desc="", policy=OPEN, history=ALL, who_may_add=MEMBERS):
    return groups.create_group(user, name, check_icon(icon) if icon else "", desc, policy, history, who_may_add)


def join_group(user, com_id):
    return groups.join_group(user, com_id)


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
      401: {$ref: "#/responses/NotLoggedIn"}
      409: {description: "a group with that name exists, or with one that looks like it (same Unicode TR39 skeleton)", schema: {$ref: "#/definitions/Envelope"}}
    """
    settings = setting_params({"policy": OPEN, "history": ALL, "whoMayAdd": MEMBERS})
    group = create_group(
        current_user._get_current_object(),
        params.get_str("name", required=True, max_len=64),
        params.get_str("icon", max_len=255) or "",
        params.get_str("desc", max_len=255) or "",
        settings["policy"],
        settings["history"],
        settings["whoMayAdd"],
    )
    return resp.ok(public_groups([group])[0], msg="group created", status=201)


def load_community():
    """The groups I own or belong to, with Unread, LastMessage,
    ReadId (my read cursor), Role (owner, admin or member) and Muted (I
    muted it: /contact/mute). Unread counts from my join on; LastMessage is
    the last message I may read.
    ---
    tags: [group]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are groups", schema: {$ref: "#/definitions/GroupListEnvelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    rows = public_groups(Community.of_member(current_user.id))
    rows = groups.role_names(current_user.id, add_group_state(current_user.id, rows))
    add_muted(current_user.id, rows, GROUP)
    return resp.ok_list(rows, len(rows))


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
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "the group is invite-only, or its owner removed you", schema: {$ref: "#/definitions/Envelope"}}
      404: {$ref: "#/responses/NoSuchGroup"}
      409: {description: "already a member", schema: {$ref: "#/definitions/Envelope"}}
    """
    group = join_group(current_user._get_current_object(), params.get_str("comId", required=True, max_len=64))
    return resp.ok(public_groups([group])[0], msg=f"joined {group.name}")


def search_groups_route():
    """Find groups to join: open groups whose name starts with ``q``
    (regardless of case and width) that I neither belong to nor was removed
    from, by name, a page at a time. Invite-only groups never show.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: q, in: query, type: string, required: true, description: "the start of a group name, 1-64 characters"}
      - {name: page, in: query, type: integer, minimum: 1, default: 1}
      - {name: size, in: query, type: integer, minimum: 1, maximum: 50, default: 20}
    responses:
      200: {description: "Rows are groups (join one with /contact/joinGroup); Total counts every match", schema: {$ref: "#/definitions/GroupListEnvelope"}}
      400: {description: "q empty or longer than 64 characters, bad page or size", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      429: {description: "more than SEARCHES_PER_MINUTE searches (people and groups together); see Retry-After", schema: {$ref: "#/definitions/Envelope"}}
    """
    text, _key, page, size = search_request()
    rows, total = search_groups(current_user.id, text, page, size)
    return resp.ok_list(public_groups(rows), total)
