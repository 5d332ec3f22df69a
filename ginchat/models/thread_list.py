"""The queries that read threads' replies and follows together: a thread's
replies (by the partial index ix_message_root_id), a user's followed
threads (by their thread_follow key, joined to the roots by primary key)
and the unread counts of a page of them. None scans the message table."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models.thread import thread_follow

GROUP = messages.GROUP


def replies_of(
    root_id: int, before: int | None = None, after: int | None = None, limit: int = 50, floor: int = 0
) -> list[dict[str, Any]]:
    """The ``limit`` replies of a thread older than ``before`` (the latest
    if None) or, with ``after``, the ones right after that Id; oldest first.
    ``floor``: the Id up to which the reader may not read (their quotes)."""
    c = messages.message_table.c
    query = select(messages.message_table).where(c.root_id == root_id)
    if before is not None:
        query = query.where(c.id < before)
    if after is not None:
        query = query.where(c.id > after).order_by(c.id).limit(limit)
        return messages.frames_of([dict(r) for r in db.session.execute(query).mappings()], floor=lambda row: floor)
    raw = [dict(r) for r in db.session.execute(query.order_by(c.id.desc()).limit(limit)).mappings()]
    raw.reverse()
    return messages.frames_of(raw, floor=lambda row: floor)


def _readable(floors: Mapping[int, int]) -> ColumnElement[bool]:
    """The follows of threads the user may read now: their private chats, and
    the groups they belong to above their history floor."""
    f = thread_follow.c
    terms: list[ColumnElement[bool]] = [f.conv.like("p:%")]
    whole = sorted(f"g:{gid}" for gid, floor in floors.items() if not floor)
    if whole:
        terms.append(f.conv.in_(whole))
    for gid, floor in sorted(floors.items()):
        if floor:
            terms.append(and_(f.conv == f"g:{gid}", f.root_id > floor))
    return or_(*terms)


def followed(user_id: int, floors: Mapping[int, int], page: int, size: int) -> tuple[list[dict[str, Any]], int, int]:
    """(rows, total, unread threads) of the threads ``user_id`` follows and
    may read (``floors``: Contact.history_floors), unread ones first, then
    the latest reply first. Each row: the root's row, ``read_id``."""
    f = thread_follow.c
    m = messages.message_table.c
    joined = thread_follow.join(messages.message_table, m.id == f.root_id)
    mine = and_(f.user_id == user_id, f.following == 1, _readable(floors))
    unread = m.last_reply > f.read_id
    total, with_unread = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((unread, 1), else_=0)), 0)).select_from(joined).where(mine)
    ).one()
    query = (
        select(messages.message_table, f.read_id)
        .select_from(joined)
        .where(mine)
        .order_by(case((unread, 0), else_=1), func.coalesce(m.last_reply, m.id).desc(), m.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    rows = [dict(r) for r in db.session.execute(query).mappings()]
    return rows, int(total), int(with_unread)


def unread_counts(user_id: int, reads: Mapping[int, int]) -> dict[int, int]:
    """{root Id: replies of others after the read Id} for ``reads`` =
    {root Id: read Id}; recalled replies do not count."""
    if not reads:
        return {}
    m = messages.message_table.c
    terms = [and_(m.root_id == root, m.id > read) for root, read in sorted(reads.items())]
    found = db.session.execute(
        select(m.root_id, func.count())
        .where(or_(*terms), m.user_id != user_id, m.media != messages.RECALLED)
        .group_by(m.root_id)
    ).all()
    return {int(root): int(count) for root, count in found}
