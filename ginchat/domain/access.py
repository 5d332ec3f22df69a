"""Who may write to and read a conversation: the one rule for the HTTP
routes and the WebSocket. The socket passes its cached relation maps, the
HTTP routes the SQL ones; both answer the same questions (and say which
DIRECT_MESSAGES rule the server runs)."""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from flask import Flask, current_app

from ginchat.errors import bad_request, forbidden, not_found
from ginchat.models import block
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.message import GROUP, PRIVATE
from ginchat.models.user_basic import UserBasic
from ginchat.settings import settings

# DIRECT_MESSAGES: who may open a private chat with whom (see may_message).
MEMBERS, FRIENDS = "members", "friends"


def direct_messages() -> str:
    """The DIRECT_MESSAGES setting: members (the default) or friends."""
    return settings().direct_messages


class Relations(Protocol):
    """What the rules ask of the relations: SqlRelations (HTTP) or the
    socket engine's cached maps (chat/relations.py)."""

    def is_friend(self, user_id: int, other_id: int) -> bool: ...
    def is_member(self, user_id: int, group_id: int) -> bool: ...
    def history_after(self, user_id: int, group_id: int) -> int | None: ...
    def is_blocked(self, user_id: int, by_id: int) -> bool: ...
    def may_post(self, user_id: int, group_id: int) -> bool: ...
    def is_account(self, user_id: int) -> bool: ...

    @property
    def direct_messages(self) -> str: ...


class SqlRelations:
    """The relations as SQL has them now (needs an app context)."""

    @staticmethod
    def is_friend(user_id: int, other_id: int) -> bool:
        return Contact.is_friend(user_id, other_id)

    @staticmethod
    def is_member(user_id: int, group_id: int) -> bool:
        return Contact.is_member(user_id, group_id)

    @staticmethod
    def history_after(user_id: int, group_id: int) -> int | None:
        return Contact.history_after(user_id, group_id)

    @staticmethod
    def is_blocked(user_id: int, by_id: int) -> bool:
        return block.is_blocked(user_id, by_id)

    @staticmethod
    def may_post(user_id: int, group_id: int) -> bool:
        return Community.may_post(group_id, user_id)

    @staticmethod
    def is_account(user_id: int) -> bool:
        return UserBasic.get_active(user_id) is not None

    @property
    def direct_messages(self) -> str:
        return direct_messages()


SQL = SqlRelations()


def may_message(user_id: int, other_id: int, relations: Relations = SQL) -> None:
    """The one rule of private conversations (DIRECT_MESSAGES): with
    ``members``, any active account (or a friend) unless either has blocked
    the other; with ``friends``, friends only. Messages, typing, adding
    someone to a group and seeing their presence all follow it. Raises
    AppError (403; 404 for no such account). Blocking ends the friendship in
    the same transaction, so a blocked user fails the friend check."""
    if other_id == user_id:
        raise forbidden("you cannot send a private message to yourself")
    if relations.direct_messages == MEMBERS:
        if relations.is_blocked(user_id, other_id):
            raise forbidden(f"user {other_id} has blocked you")
        if relations.is_blocked(other_id, user_id):
            raise forbidden(f"you have blocked user {other_id}: unblock them first")
        # A deactivated friend stays writable, as under the friends rule.
        if not relations.is_account(other_id) and not relations.is_friend(user_id, other_id):
            raise not_found(f"no user with ID {other_id}")
    elif not relations.is_friend(user_id, other_id):
        if relations.is_blocked(user_id, other_id):
            raise forbidden(f"user {other_id} has blocked you")
        raise forbidden(f"user {other_id} is not your friend")


def sees_online(mode: str, user_ids: Iterable[int], related: Iterable[int], blocked: Iterable[int]) -> set[int]:
    """Whose Online a viewer sees, of ``user_ids``: under ``members`` whoever
    they may message (everyone but those ``blocked`` either way), as a team
    chat shows the whole workspace; under ``friends`` the ``related`` (their
    friends and fellow group members, API.md). Presence frames follow it."""
    if mode == MEMBERS:
        return set(user_ids) - set(blocked)
    return set(user_ids) & set(related)


def messageable(mode: str, user_ids: Iterable[int], friends: Iterable[int], blocked: Iterable[int]) -> set[int]:
    """Whom of ``user_ids`` a viewer may open a private chat with, by the
    rule of may_message for many at once: under ``members`` everyone but
    those ``blocked`` either way, under ``friends`` their ``friends``."""
    if mode == MEMBERS:
        return set(user_ids) - set(blocked)
    return set(user_ids) & set(friends)


READ_ONLY = "only the owner and the admins may write in this group (announcements): members read it"


def may_write(user_id: int, msg_type: int, target_id: int, relations: Relations = SQL, post: bool = True) -> None:
    """A private message goes to whom may_message allows, a group message
    comes from a member only, and in a group whose WhoMayWrite is admins (an
    announcement group) from its owner and admins only (``post``: False for
    a change to a message, such as a reaction, that the rule lets members
    make); raises AppError (403, or 400 for an unknown type)."""
    if msg_type == PRIVATE:
        may_message(user_id, target_id, relations)
    elif msg_type == GROUP:
        if not relations.is_member(user_id, target_id):
            raise forbidden(f"not a member of group {target_id}")
        if post and not relations.may_post(user_id, target_id):
            raise forbidden(READ_ONLY)
    else:
        raise bad_request(f"unknown Type {msg_type}")


def may_change(user_id: int, row: Mapping[str, Any], relations: Relations = SQL, post: bool = False) -> None:
    """An edit or a reaction is a write to the message's conversation: the
    rule of may_write with the other side of a private chat (so no change
    passes between two users while either has blocked the other, as no
    typing indicator does), a group's membership in a group (an edit, with
    ``post``, also what an announcement group asks of a new message).
    ``row`` is the stored message (type, user_id, target_id)."""
    other = row["target_id"]
    if row["type"] == PRIVATE and other == user_id:
        other = row["user_id"]
    may_write(user_id, row["type"], other, relations, post)


def may_read(user_id: int, msg_type: int, target_id: int, relations: Relations = SQL) -> int:
    """History is for participants: either side of a private chat (friends or
    not any more), a member of a group. Returns the Id after which the user
    may read the conversation (0: all of it): every read path filters by it."""
    if msg_type not in (PRIVATE, GROUP):
        raise bad_request("type must be 1 (private) or 2 (group)")
    if msg_type == PRIVATE:
        return 0
    if not relations.is_member(user_id, target_id):
        raise forbidden(f"not a member of group {target_id}")
    after = relations.history_after(user_id, target_id)
    if after is None:  # removed on another node, and this node's map has not heard yet
        raise forbidden(f"not a member of group {target_id}")
    return int(after)


def app() -> Flask:
    """The sender of every domain signal."""
    return current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug's LocalProxy
