"""Announcements (issue 28, item 5): a group's notice (群公告), which its
owner and admins set and every member reads at the top of the group, and
the WhoMayWrite setting (admins: only they write, members read; the rule is
ginchat.domain.access.may_write, for the socket and HTTP alike)."""

import time
from collections.abc import Iterable
from typing import Any

from ginchat.domain.access import app
from ginchat.domain.groups import member_group
from ginchat.errors import bad_request, forbidden
from ginchat.extensions import db
from ginchat.models import group_notice
from ginchat.models import message as messages
from ginchat.models.community import NOTICE_MAX, Community
from ginchat.models.contact import ADMIN_ROLE, Contact
from ginchat.signals import message_updated, notice
from ginchat.utils.params import unstorable

NOTICE_EVENT = "group_notice"  # the Type 14 notice every member gets when it changes
SEEN_EVENT = "notice_seen"  # the Type 14 notice a member's own connections get when they read it


def may_run(group: Community, user_id: int) -> bool:
    """The owner or an admin of ``group``?"""
    if group.owner_id == user_id:
        return True
    row = Contact.membership(user_id, group.id)
    return row is not None and row.role == ADMIN_ROLE


def check_notice(text: object) -> str:
    if not isinstance(text, str):
        raise bad_request("notice must be text")
    text = text.strip()
    if len(text) > NOTICE_MAX:
        raise bad_request(f"notice is longer than {NOTICE_MAX} characters")
    reason = unstorable(text)
    if reason:
        raise bad_request(f"notice {reason}")
    if "\x00" in text:
        raise bad_request("notice must not contain NUL characters")
    return text


def set_notice(user_id: int, com_id: int, text: object) -> tuple[Community, dict[str, Any] | None]:
    """The owner or an admin sets the group's notice ("" clears it). Every
    member hears it (Type 14 ``group_notice`` with Notice), on every node.
    Returns (group, notice); the same text again changes nothing."""
    text = check_notice(text)
    group = member_group(user_id, com_id)  # 404 no such group, 403 not a member
    if not may_run(group, user_id):
        raise forbidden(f"only the owner and the admins of {group.name} may change its notice")
    if (group.notice or "") == text:
        return group, group.notice_of()
    group.notice = text
    group.notice_by = user_id
    group.notice_time = int(time.time() * 1000)
    # Its place in the Id sequence (the counter row's lock orders it with the
    # messages): the replay of ``since`` brings it, once, to whoever was away.
    group.notice_rev = messages.take_position()
    mine = Contact.membership(user_id, group.id)
    mine.notice_seen = group.notice_rev  # one's own notice is no news to one
    db.session.commit()
    current = group.notice_of()
    # In the Id order, on every node (as an edit or a pin): the Type 24 frame.
    message_updated.send(app(), frame=group_notice.notice_frame(_row(group)))
    notice.send(
        app(),
        event=NOTICE_EVENT,
        users=[],
        group=group.id,
        user_id=user_id,
        group_id=group.id,
        actor_id=user_id,
        extra={"Notice": current},
    )
    return group, current


def _row(group: Community) -> dict[str, Any]:
    return {
        "id": group.id,
        "notice": group.notice,
        "notice_by": group.notice_by,
        "notice_time": group.notice_time,
        "notice_rev": group.notice_rev,
    }


def see_notice(user_id: int, com_id: str, notice_id: int | None = None) -> tuple[Community, int]:
    """``user_id`` has seen the group's notice (up to ``notice_id``, its Id;
    None: the current one): it is not New for them any more, on any of their
    devices, which hear it (Type 14 ``notice_seen`` with NoticeId, to their own
    connections, on every node). Never moves back. Returns (group, the mark)."""
    group = member_group(user_id, com_id)  # 404 no such group, 403 not a member
    current = int(group.notice_rev or 0)
    if notice_id is not None and notice_id > current:
        raise bad_request(f"the notice of {group.name} is at {current}, not {notice_id}")
    upto = current if notice_id is None else notice_id
    row = Contact.membership(user_id, group.id)
    if int(row.notice_seen or 0) >= upto:
        return group, int(row.notice_seen or 0)
    row.notice_seen = upto
    db.session.commit()
    notice.send(
        app(),
        event=SEEN_EVENT,
        users=[user_id],
        group=None,
        user_id=user_id,
        group_id=group.id,
        actor_id=user_id,
        extra={"NoticeId": upto},
    )
    return group, upto


def notice_seen(user_id: int, group_ids: Iterable[int]) -> dict[int, int]:
    """{group id: the Id of the notice ``user_id`` has seen} of those groups."""
    return Contact.notice_marks(user_id, group_ids)
