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
    online = online_map(get_redis(), [u.id for u in users if u.id in may_see_online])
    rows = [u.public(online.get(u.id, False), contact=u.id in friends) for u in users]
    for user, row in zip(users, rows, strict=True):
        if user.id == viewer_id:
            row["Role"] = user.role or ""  # my own role: the browser app shows the admin page by it
    return rows


def public_user(user, viewer_id):
    return public_users([user], viewer_id)[0]


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
