"""What one user may see of others: Phone and Email for themselves and their
friends; Online for whoever may message them (DIRECT_MESSAGES=members:
everyone but those blocked either way), or for friends and fellow group
members (friends; API.md)."""

from ginchat.domain.access import MEMBERS, direct_messages, messageable, sees_online
from ginchat.domain.receipts import add_friend_state
from ginchat.errors import bad_request, not_found
from ginchat.extensions import get_redis
from ginchat.models import block, friend_request
from ginchat.models import message as messages
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic
from ginchat.utils.names import search_key
from ginchat.utils.presence import online_map

SEARCH_MAX = 64  # characters of a search


def public_users(users, viewer_id):
    """The public objects of ``users`` as ``viewer_id`` may see them.
    Relations are read for all of them at once."""
    ids = [u.id for u in users]
    friends, fellows = Contact.relations(viewer_id, ids)
    friends.add(viewer_id)
    mode = direct_messages()
    blocked = block.blocked_with(viewer_id) if mode == MEMBERS and set(ids) - {viewer_id} else ()
    may_see_online = sees_online(mode, ids, friends | fellows, blocked) | {viewer_id}
    # A deactivated account is never online (its presence key may linger until its TTL).
    online = online_map(get_redis(), [u.id for u in users if u.id in may_see_online and u.is_active])
    rows = [u.public(online.get(u.id, False), contact=u.id in friends) for u in users]
    for user, row in zip(users, rows, strict=True):
        if user.id == viewer_id:
            row["Role"] = user.role or ""  # my own role: the browser app shows the admin page by it
    return rows


def public_user(user, viewer_id):
    return public_users([user], viewer_id)[0]


def seen_user(user_id, viewer):
    """A user as ``viewer`` may look them up: any active account; a
    deactivated one (``Deactivated: true``) only for those who have its
    messages in their conversations, a friend or a fellow group member, and
    for administrators: their conversations show it under a "deactivated"
    mark. 404 for anyone else, and for deleted accounts."""
    user = UserBasic.get_existing(user_id)
    if user is not None and not user.is_active and not viewer.is_admin:
        friends, fellows = Contact.relations(viewer.id, [user.id])
        if user.id not in friends | fellows:
            user = None
    if user is None:
        raise not_found(f"no user with ID {user_id}")
    return public_user(user, viewer.id)


def seen_users(user_ids, viewer):
    """The users among ``user_ids`` that ``viewer`` may look up, each as
    seen_user answers it, in the order asked; the others (unknown, deleted,
    or deactivated and none of the viewer's) are left out. One query for the
    accounts and two for the relations, however many are asked."""
    users = UserBasic.existing_many(user_ids)
    gone = [u.id for u in users if not u.is_active]
    if gone and not viewer.is_admin:
        friends, fellows = Contact.relations(viewer.id, gone)
        users = [u for u in users if u.is_active or u.id in friends | fellows or u.id == viewer.id]
    return public_users(users, viewer.id)


def public_requests(reqs, viewer_id):
    """Friend requests with their two users as ``viewer_id`` may see them
    (From or To is null for a deactivated account); one lookup for all."""
    ids = [i for req in reqs for i in (req.from_id, req.to_id)]
    users = {u["ID"]: u for u in public_users(UserBasic.many(ids), viewer_id)}
    return [req.public(users) for req in reqs]


def public_request(req, viewer_id):
    return public_requests([req], viewer_id)[0]


def resolve_user(target_id, target_name):
    """The user named by ID or else by name (404 for none, 400 for neither)."""
    if target_id is not None:
        return UserBasic.must_get(target_id)
    if target_name:
        user = UserBasic.find_by_name(target_name)
        if user is None:
            raise not_found(f"no user named {target_name!r}")
        return user
    raise bad_request("targetName or targetId is required")


def user_card(user):
    """What anyone may see of a user (no contact details, no presence): for
    notices that reach people who are not friends yet."""
    return {"ID": user.id, "Name": user.name, "DisplayName": user.display_name or "", "Avatar": user.avatar or ""}


def search_key_of(text):
    """The lookup form of a search (400 when it is empty or too long)."""
    text = (text or "").strip()
    if len(text) > SEARCH_MAX:
        raise bad_request(f"q must be at most {SEARCH_MAX} characters")
    key = search_key(text)
    if not key:
        raise bad_request("q is required: the start of a name or display name")
    return key


def relation_names(viewer_id, user_ids):
    """{user id: friend | requested (I asked them) | asking (they asked me) |
    blocked (by me) | ""}: what "add" would do, as the viewer sees it."""
    friends, _ = Contact.relations(viewer_id, user_ids)
    asked, asking = set(), set()
    for req in friend_request.involving(viewer_id):
        if req.from_id == viewer_id:
            asked.add(req.to_id)
        else:
            asking.add(req.from_id)
    mine = set(block.blocked_ids(viewer_id))
    names = {}
    for uid in user_ids:
        if uid in mine:
            names[uid] = "blocked"
        elif uid in friends:
            names[uid] = "friend"
        elif uid in asking:
            names[uid] = "asking"
        elif uid in asked:
            names[uid] = "requested"
        else:
            names[uid] = ""
    return names


def add_relations(viewer_id, rows):
    """Rows of public users gain Relation (relation_names) and MayMessage:
    whether the viewer may open a private chat with them (may_message's
    rule), so the app offers "Message" or "Add friend" as the server says."""
    ids = [row["ID"] for row in rows]
    relations = relation_names(viewer_id, ids)
    friends = {uid for uid, name in relations.items() if name == "friend"}
    mode = direct_messages()
    blocked = block.blocked_with(viewer_id) if mode == MEMBERS and ids else ()
    writable = messageable(mode, ids, friends, blocked)
    for row in rows:
        row["Relation"] = relations[row["ID"]]
        row["MayMessage"] = row["ID"] in writable and not row.get("Deactivated", False)
    return rows


def search_people(viewer_id, text, page, size):
    """Live accounts whose name or display name, or a word of them, starts
    with ``text`` (in any case or width; a CJK text anywhere in a name; a
    Chinese name's pinyin too: UserBasic.search), by name, a page at a time: (rows, total). Never the
    viewer, nor anyone who blocked them. Each row is the public user object
    (public_users) with Relation (relation_names)."""
    key = search_key_of(text)
    users, total = UserBasic.search(key, viewer_id, page, size, hidden=block.blockers_of(viewer_id))
    rows = public_users(users, viewer_id)
    add_relations(viewer_id, rows)
    return rows, total


def directory(viewer_id, page, size):
    """The people of this server (a search with an empty q): every live
    account but the viewer and those who blocked them, by display name, a
    page at a time: (rows, total). Rows are as search_people's, with the
    state of my private chat with each (Unread, LastMessage, ReadId,
    PeerReadId: add_friend_state), so a team's "People" view is one call."""
    users, total = UserBasic.directory(viewer_id, page, size, hidden=block.blockers_of(viewer_id))
    rows = public_users(users, viewer_id)
    add_relations(viewer_id, rows)
    return add_friend_state(viewer_id, rows), total


def search_groups(viewer_id, text, page, size):
    """Open groups the viewer may join (not a member, not removed by their
    owner) whose name starts with ``text``: ([group], total)."""
    return Community.search_joinable(search_key_of(text), viewer_id, page, size)


def private_chats(viewer_id, friends):
    """The chat list's private chats: the viewer's ``friends`` (user objects)
    and, under DIRECT_MESSAGES=members, the colleagues they have a private
    conversation with (active accounts, neither side blocking the other: the
    people may_message lets them write to). Public user objects by name with
    Relation (relation_names) and the chat state of add_friend_state."""
    users = list(friends)
    if direct_messages() == MEMBERS:
        known = {u.id for u in users} | {viewer_id} | set(block.blocked_with(viewer_id))
        colleagues = sorted(messages.private_peers(viewer_id) - known)
        users += UserBasic.many(colleagues)
        users.sort(key=lambda u: (u.name or "").lower())
    rows = public_users(users, viewer_id)
    add_relations(viewer_id, rows)
    return add_friend_state(viewer_id, rows)
