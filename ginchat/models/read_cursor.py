"""Read cursors: how far each user has read each conversation, and the
unread counts and last messages the friend and group lists carry."""

from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ginchat.extensions import changed, db
from ginchat.models import message as messages
from ginchat.models.contact import MEMBER, Contact

ID_TYPE = messages.ID_TYPE

# user_id has read conversation ``conv`` up to message ``msg_id``.
read_cursor = Table(
    "read_cursor",
    db.metadata,
    Column("user_id", Integer, nullable=False),
    Column("conv", String(24), nullable=False),
    Column("msg_id", ID_TYPE, nullable=False, default=0),
    PrimaryKeyConstraint("user_id", "conv", name="pk_read_cursor"),
)


def cursor_of(user_id, conv):
    return (
        db.session.scalar(
            select(read_cursor.c.msg_id).where(read_cursor.c.user_id == user_id, read_cursor.c.conv == conv)
        )
        or 0
    )


def cursors(conv, user_ids=None):
    """{user id: read cursor} of a conversation."""
    c = read_cursor.c
    query = select(c.user_id, c.msg_id).where(c.conv == conv)
    if user_ids is not None:
        query = query.where(c.user_id.in_(sorted(user_ids)))
    return {int(u): int(m) for u, m in db.session.execute(query).all()}


def latest_id(conv, at_most=None, after=0):
    c = messages.message_table.c
    query = select(func.max(c.id)).where(c.conv == conv)
    if at_most is not None:
        query = query.where(c.id <= at_most)
    if after:
        query = query.where(c.id > after)
    return db.session.scalar(query) or 0


def advance(user_id, conv, up_to, after=0):
    """Move the cursor forward to the conversation's last message Id <= up_to
    that the user may read (Id > after). Returns the new cursor, or None when
    it did not move (never backwards: two devices may report in any order)."""
    target = latest_id(conv, up_to, after)
    if not target:
        return None
    c = read_cursor.c
    moved = changed(
        update(read_cursor).where(c.user_id == user_id, c.conv == conv, c.msg_id < target).values(msg_id=target)
    )
    if not moved:
        exists = db.session.scalar(select(c.msg_id).where(c.user_id == user_id, c.conv == conv))
        if exists is not None:
            db.session.rollback()
            return None
        try:
            db.session.execute(insert(read_cursor).values(user_id=user_id, conv=conv, msg_id=target))
        except IntegrityError:  # another device inserted it first: try the forward move again
            db.session.rollback()
            moved = changed(
                update(read_cursor).where(c.user_id == user_id, c.conv == conv, c.msg_id < target).values(msg_id=target)
            )
            if not moved:
                db.session.rollback()
                return None
    db.session.commit()
    return target


def unread_and_last(user_id, convs):
    """({conv: unread count}, {conv: last message frame}) for my private
    conversations: unread = messages of others above my cursor, recalled
    ones not counted."""
    convs = sorted(set(convs))
    if not convs:
        return {}, {}
    m = messages.message_table.c
    r = read_cursor.c
    joined = messages.message_table.outerjoin(read_cursor, and_(r.conv == m.conv, r.user_id == user_id))
    unread: dict[Any, Any] = dict(
        db.session.execute(
            select(m.conv, func.count())
            .select_from(joined)
            .where(
                m.conv.in_(convs),
                m.user_id != user_id,
                m.media != messages.RECALLED,
                m.id > func.coalesce(r.msg_id, 0),
                messages.in_chat(),  # a thread's replies count in the thread (thread_list.py)
            )
            .group_by(m.conv)
        ).all()
    )
    top_ids = [i for (i,) in db.session.execute(select(func.max(m.id)).where(m.conv.in_(convs)).group_by(m.conv)).all()]
    last = {}
    if top_ids:
        raw = shown_last(
            [dict(r) for r in db.session.execute(select(messages.message_table).where(m.id.in_(top_ids))).mappings()]
        )
        for row, frame in zip(raw, messages.frames_of(raw, floor=lambda row: 0), strict=True):
            last[row["conv"]] = frame
    return {k: int(v) for k, v in unread.items()}, last


def group_unread_and_last(user_id, group_ids):
    """({group id: unread count}, {group id: last message frame}) for my
    groups, each from my member row: unread counts start at my join point
    (and my cursor), the last message is the last one I may read."""
    group_ids = sorted(set(group_ids))
    if not group_ids:
        return {}, {}
    m = messages.message_table.c
    r = read_cursor.c
    mine = and_(Contact.owner_id == user_id, Contact.type == MEMBER, Contact.target_id == m.target_id)
    joined = messages.message_table.join(Contact, mine).outerjoin(
        read_cursor, and_(r.conv == m.conv, r.user_id == user_id)
    )
    unread: dict[Any, Any] = dict(
        db.session.execute(
            select(m.target_id, func.count())
            .select_from(joined)
            .where(
                m.type == messages.GROUP,
                m.target_id.in_(group_ids),
                m.user_id != user_id,
                m.media != messages.RECALLED,
                m.id > func.coalesce(r.msg_id, 0),
                m.id > Contact.join_id,
                messages.in_chat(),
            )
            .group_by(m.target_id)
        ).all()
    )
    top_ids = [
        i
        for (i,) in db.session.execute(
            select(func.max(m.id))
            .select_from(messages.message_table.join(Contact, mine))
            .where(m.type == messages.GROUP, m.target_id.in_(group_ids), m.id > Contact.history_id)
            .group_by(m.target_id)
        ).all()
    ]
    last = {}
    if top_ids:
        floors = Contact.history_floors(user_id)
        raw = shown_last(
            [dict(r) for r in db.session.execute(select(messages.message_table).where(m.id.in_(top_ids))).mappings()],
            floors,
        )
        frames = messages.frames_of(raw, floor=lambda row: floors.get(int(row["target_id"]), 0))
        for row, frame in zip(raw, frames, strict=True):
            last[int(row["target_id"])] = frame
    return {int(k): int(v) for k, v in unread.items()}, last


def shown_last(raw, floors=None):
    """The last messages of conversations as the conversations show them: a
    thread reply (not also sent to the conversation) gives way to the last
    message before it that is shown. The max(id) queries stay index-only;
    only a conversation whose newest message is such a reply pays a lookup.
    ``floors``: {group id: the Id up to which the reader may not read}."""
    m = messages.message_table.c
    found = []
    for row in raw:
        if row.get("root_id") and not row.get("in_chat"):
            row = (
                db.session.execute(
                    select(messages.message_table)
                    .where(
                        m.conv == row["conv"],
                        m.id < row["id"],
                        m.id > ((floors or {}).get(int(row["target_id"]), 0) if row["type"] == messages.GROUP else 0),
                        messages.in_chat(),
                    )
                    .order_by(m.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if row is None:
                continue
            row = dict(row)
        found.append(row)
    return found


def cursor_map(user_id, convs):
    """{conv: cursor} of ``user_id`` among ``convs``."""
    convs = sorted(set(convs))
    if not convs:
        return {}
    c = read_cursor.c
    return dict(db.session.execute(select(c.conv, c.msg_id).where(c.user_id == user_id, c.conv.in_(convs))).all())


def peer_cursors(convs):
    """{friend id: their cursor} for ``convs`` = {friend id: our private conv}."""
    if not convs:
        return {}
    c = read_cursor.c
    query = select(c.user_id, c.msg_id).where(c.conv.in_(sorted(convs.values())), c.user_id.in_(sorted(convs)))
    result = {}
    for uid, msg_id in db.session.execute(query).all():
        result[int(uid)] = int(msg_id)  # friend uid's cursor on the one conversation we share
    return result


def forget(user_id, conv):
    """Delete one user's cursor of a conversation (no commit)."""
    c = read_cursor.c
    db.session.execute(delete(read_cursor).where(c.user_id == user_id, c.conv == conv))


def forget_conversation(conv):
    """Delete every cursor of a conversation (no commit)."""
    db.session.execute(delete(read_cursor).where(read_cursor.c.conv == conv))
