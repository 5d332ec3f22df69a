"""What one user may see of others: Phone and Email for themselves and their
friends, Online also for fellow group members (API.md)."""

from ginchat.errors import bad_request, not_found
from ginchat.extensions import get_redis
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic
from ginchat.utils.presence import online_map


def public_users(users, viewer_id):
    """The public objects of ``users`` as ``viewer_id`` may see them.
    Relations are read for all of them at once."""
    friends, fellows = Contact.relations(viewer_id, [u.id for u in users])
    friends.add(viewer_id)
    may_see_online = friends | fellows
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
