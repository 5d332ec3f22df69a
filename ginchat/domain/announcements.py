"""Announcements (issue 28, item 5): a group's notice (群公告), which its
owner and admins set and every member reads at the top of the group, and
the WhoMayWrite setting (admins: only they write, members read; the rule is
ginchat.domain.access.may_write, for the socket and HTTP alike)."""

import time
from typing import Any

from ginchat.domain.access import app
from ginchat.domain.groups import member_group
from ginchat.errors import bad_request, forbidden
from ginchat.extensions import db
from ginchat.models.community import NOTICE_MAX, Community
from ginchat.models.contact import ADMIN_ROLE, Contact
from ginchat.signals import notice
from ginchat.utils.params import unstorable

NOTICE_EVENT = "group_notice"  # the Type 14 notice every member gets when it changes


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
    db.session.commit()
    current = group.notice_of()
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
