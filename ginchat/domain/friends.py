"""Friendships, friend requests and blocks: who may befriend whom, and what
a block ends. Every change is committed, then signalled."""

from ginchat.domain.access import app
from ginchat.domain.people import user_card
from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models import block, friend_request
from ginchat.models.contact import Contact
from ginchat.models.friend_request import FriendRequest
from ginchat.models.user_basic import UserBasic, commit_or_conflict
from ginchat.signals import friendship_added, friendship_ended, notice


def check_may_befriend(user, target):
    if target.id == user.id:
        raise bad_request("you cannot add yourself as a friend")
    if block.is_blocked(user.id, target.id):
        raise forbidden(f"{target.name} does not accept friend requests from you")
    if block.is_blocked(target.id, user.id):
        raise forbidden(f"you have blocked {target.name}: unblock them first")
    if Contact.is_friend(user.id, target.id):
        raise conflict(f"{target.name} is already your friend")


def befriend(user, target):
    """Friends now: both rows, and any request between the two gone, in one
    transaction; both sides' lists and every node's map learn it."""
    friend_request.delete_between(user.id, target.id)
    Contact.add_friendship(user.id, target.id)
    commit_or_conflict(f"{target.name} is already your friend")
    friendship_added.send(app(), user_id=user.id, friend_id=target.id, card=user_card(user))


def add_friend_instant(user, target):
    check_may_befriend(user, target)
    befriend(user, target)


def request_friend(user, target):
    """Ask ``target``; if they asked me already, that is a yes: friends now.
    Returns (request or None, friends now?)."""
    check_may_befriend(user, target)
    if friend_request.pending(target.id, user.id) is not None:
        befriend(user, target)
        return None, True
    if friend_request.pending(user.id, target.id) is not None:
        raise conflict(f"you have asked {target.name} already")
    req = FriendRequest(from_id=user.id, to_id=target.id)
    db.session.add(req)
    commit_or_conflict(f"you have asked {target.name} already")
    notice.send(
        app(),
        event="friend_request",
        users=[target.id],
        group=None,
        user_id=user.id,
        group_id=0,
        actor_id=user.id,
        extra={"User": user_card(user), "RequestId": req.id},
    )
    return req, False


def requests_of(user_id):
    """Pending requests to and from ``user_id``, newest first."""
    return friend_request.involving(user_id)


def answer_request(user, request_id, accept):
    """Accept or decline a request addressed to ``user`` (404 for anyone
    else's). Returns the sender, a friend now when accepted."""
    req = db.session.get(FriendRequest, request_id)
    if req is None or req.to_id != user.id:
        raise not_found(f"no friend request {request_id} for you")
    sender = UserBasic.get_active(req.from_id)
    if sender is None:
        _decline(req)
        raise not_found("the user who asked has left")
    if not accept:
        _decline(req)
        notice.send(
            app(),
            event="friend_declined",
            users=[sender.id, user.id],
            group=None,
            user_id=user.id,
            group_id=0,
            actor_id=user.id,
        )
        return sender
    check_may_befriend(user, sender)
    befriend(user, sender)
    return sender


def _decline(req):
    db.session.delete(req)
    db.session.commit()


def _drop_friendship(a, b):
    """Both friend rows and any pending request between a and b (no commit)."""
    count = Contact.delete_friendship(a, b)
    friend_request.delete_between(a, b)
    return count


def remove_friend(user, target):
    """End a friendship (both sides); the history stays readable for both."""
    if not _drop_friendship(user.id, target.id):
        db.session.rollback()
        raise not_found(f"{target.name} is not your friend")
    db.session.commit()
    friendship_ended.send(app(), user_id=user.id, friend_id=target.id)


def block_user(user, target):
    """Block ``target``: the friendship and pending requests end, in one
    transaction; no new request or message from them gets through."""
    if target.id == user.id:
        raise bad_request("you cannot block yourself")
    if block.is_blocked(target.id, user.id):
        raise conflict(f"{target.name} is blocked already")
    _drop_friendship(user.id, target.id)
    block.add(user.id, target.id)
    commit_or_conflict(f"{target.name} is blocked already")
    friendship_ended.send(app(), user_id=user.id, friend_id=target.id)


def unblock_user(user, target):
    """Lift a block (the friendship does not come back)."""
    removed = block.remove(user.id, target.id)
    db.session.commit()
    if not removed:
        raise not_found(f"{target.name} is not blocked")


def blocked_users(user_id):
    return UserBasic.many(block.blocked_ids(user_id))
