"""Group routes (the Go project's community handlers in service/): HTTP
handlers over ginchat/domain/groups.py; running a group is in members.py."""

from flask_login import current_user

from ginchat.domain import announcements, groups
from ginchat.domain.mute import add_muted
from ginchat.domain.people import search_groups
from ginchat.domain.receipts import add_group_state
from ginchat.errors import bad_request
from ginchat.limits import MAX_ID
from ginchat.models.community import ALL, MEMBERS, OPEN, Community
from ginchat.models.contact import Contact
from ginchat.models.message import GROUP
from ginchat.service import search_request
from ginchat.uploads import check_icon
from ginchat.utils import params, resp


def public_groups(rows):
    counts = Contact.member_counts([grp.id for grp in rows])
    return [grp.public(counts.get(grp.id, 0)) for grp in rows]


MAX_NEW_MEMBERS = 500  # ids createCommunity's members takes at once (addMember adds more)


def create_group(user, name, icon="", desc="", policy=OPEN, history=ALL, who_may_add=MEMBERS, members=()):
    return groups.create_group(
        user, name, check_icon(icon) if icon else "", desc, policy, history, who_may_add, members
    )


def member_ids(name):
    """User ids, comma-separated (or a JSON list); 400 naming a bad one."""
    value = params.raw(name)
    if isinstance(value, list):
        parts = value
    else:
        text = params.get_str(name, max_len=MAX_NEW_MEMBERS * 11) or ""
        parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > MAX_NEW_MEMBERS:
        raise bad_request(f"{name} may list at most {MAX_NEW_MEMBERS} ids")
    return [params.to_int(f"{name} ({part!r})", part, minimum=1, maximum=MAX_ID) for part in parts]


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
    """Create a group; its owner is its first member, and the people listed
    in ``members`` join it at once (each hears a member_added notice). Each
    must be someone the creator may message (DIRECT_MESSAGES: any account
    that has not blocked them nor been blocked by them, or friends only):
    one refused id and nothing is created.
    ---
    tags: [group]
    security: [{Bearer: []}]
    parameters:
      - {name: name, in: formData, type: string, required: true, description: "unique, 1-32 characters, inner spaces allowed; stored in Unicode NFKC; no invisible or formatting characters, no combining-mark tricks, no confusable mix of scripts (Unicode TR39)"}
      - {name: icon, in: formData, type: string, description: "the URL path of an uploaded image"}
      - {name: desc, in: formData, type: string, description: "a description, up to 255 characters"}
      - {name: policy, in: formData, type: string, enum: [open, invite], default: open, description: "open: anyone with the group's ID or name joins (/contact/joinGroup); invite: members add people (/contact/addMember)"}
      - {name: history, in: formData, type: string, enum: [all, join], default: all, description: "what newcomers read: all earlier messages, or only those from their join on"}
      - {name: whoMayAdd, in: formData, type: string, enum: [members, admins], default: members, description: "who may add people: every member, or only the owner and the admins (/contact/setAdmin)"}
      - {name: members, in: formData, type: string, description: "user ids, comma-separated (at most 500): they join with the owner; yourself and repeats are ignored"}
    responses:
      201: {description: "Data is the group, with its Policy, History and WhoMayAdd; Members counts everyone who joined", schema: {$ref: "#/definitions/GroupEnvelope"}}
      400: {description: "missing or invalid parameter (the message names a malformed id)", schema: {$ref: "#/definitions/Envelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
      403: {description: "a listed user may not be messaged by you (blocked either way, or not a friend with DIRECT_MESSAGES=friends); the message names the id; nothing was created", schema: {$ref: "#/definitions/Envelope"}}
      404: {description: "a listed id is no account (DIRECT_MESSAGES=members); nothing was created", schema: {$ref: "#/definitions/Envelope"}}
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
        member_ids("members"),
    )
    return resp.ok(public_groups([group])[0], msg="group created", status=201)


def load_community():
    """The groups I own or belong to, with Unread, LastMessage,
    ReadId (my read cursor), Role (owner, admin or member), Muted (I
    muted it: /contact/mute), MutedCompletely (muted with completely=true:
    not even @all, @here or a mention of me alerts) and Notice (the group
    notice {Text, UserId, Time, Id, Seen}: /contact/setNotice; Id its place in
    the message Id sequence, Seen whether I marked it seen with
    /contact/seeNotice on any device). Unread counts from my
    join on; LastMessage is the last message I may read. WhoMayMentionAll:
    who may write @all and @here (POST /contact/updateGroup).
    ---
    tags: [group]
    security: [{Bearer: []}]
    responses:
      200: {description: "Rows are groups", schema: {$ref: "#/definitions/GroupListEnvelope"}}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    found = Community.of_member(current_user.id)
    rows = public_groups(found)
    seen = announcements.notice_seen(current_user.id, [grp.id for grp in found])
    for row, grp in zip(rows, found, strict=True):
        row["Notice"] = grp.notice_of()  # members only: not in public(), which searches show
        # Seen: I marked this notice seen (/contact/seeNotice), on any device: not New for me.
        row["Notice"]["Seen"] = seen.get(grp.id, 0) >= row["Notice"]["Id"]
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
