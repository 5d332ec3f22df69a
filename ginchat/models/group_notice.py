"""The group notice (群公告) in the message Id sequence (issue 28): each
change takes the next Id of the message counter (communities.notice_rev),
as an edit or a pin does, so that a member who was away learns of it from
the replay of ``since`` (a Type 24 frame, once: the notice as it is now),
and each member's mark of the notice they have seen (contact.notice_seen)
makes its "New" the same on all their devices. Who may set it is decided in
ginchat/domain/announcements.py. (Light table objects: the models of
communities and contact import the message model, which reads these.)"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import column, select, table

NOTICE = 24  # the frame Type of a group notice's change (server to client)
_GROUP, _MEMBER = 2, 2

_groups = table(
    "communities",
    column("id"),
    column("notice"),
    column("notice_by"),
    column("notice_time"),
    column("notice_rev"),
)
_contact = table("contact", column("owner_id"), column("target_id"), column("type"), column("notice_seen"))


def notice_frame(row: Mapping[str, Any], seen: int | None = None) -> dict[str, Any]:
    """The Type 24 frame of a group's notice: ``Id`` its place in the Id
    sequence; ChatType, TargetId (the group) and UserId (who set it) as a
    change's frame has them, GroupId as a notice's; ``Seen`` (a replay, for
    its reader) when the reader has marked it seen."""
    notice = {
        "Text": row["notice"] or "",
        "UserId": int(row["notice_by"] or 0),
        "Time": int(row["notice_time"] or 0),
        "Id": int(row["notice_rev"]),
    }
    frame = {
        "Type": NOTICE,
        "Id": notice["Id"],
        "ChatType": _GROUP,
        "TargetId": int(row["id"]),
        "GroupId": int(row["id"]),
        "UserId": notice["UserId"],
        "Notice": notice,
    }
    if seen is not None:
        frame["Seen"] = bool(seen)
    return frame


def frames_since(executor: Any, user_id: int, since: int, limit: int) -> list[dict[str, Any]]:
    """Type 24 frames of the notices of ``user_id``'s groups changed after
    ``since``, in Id order, each with the reader's ``Seen``."""
    g, c = _groups.c, _contact.c
    query = (
        select(g.id, g.notice, g.notice_by, g.notice_time, g.notice_rev, c.notice_seen)
        .select_from(_groups.join(_contact, c.target_id == g.id))
        .where(c.owner_id == user_id, c.type == _MEMBER, g.notice_rev > since)
        .order_by(g.notice_rev)
        .limit(limit)
    )
    return [
        notice_frame(r, int(r["notice_seen"] or 0) >= int(r["notice_rev"])) for r in executor.execute(query).mappings()
    ]


def frames_after(executor: Any, after_id: int, limit: int) -> list[dict[str, Any]]:
    """Every group's notice changed after ``after_id`` (the bus's catch-up), in Id order."""
    g = _groups.c
    query = (
        select(g.id, g.notice, g.notice_by, g.notice_time, g.notice_rev)
        .where(g.notice_rev > after_id)
        .order_by(g.notice_rev)
        .limit(limit)
    )
    return [notice_frame(r) for r in executor.execute(query).mappings()]
