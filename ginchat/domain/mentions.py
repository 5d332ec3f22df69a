"""Mentions: ``@name`` in a group's text names a member. The server finds
the members at store time (the longest name that matches wins, so names with
spaces work), the message carries their ids (``Mentions``) and each mention
is a row, which is what the Mentions view and its unread count read."""

from sqlalchemy import func, or_, select

from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import message_parts as parts
from ginchat.models import read_cursor
from ginchat.models.contact import Contact
from ginchat.models.user_basic import UserBasic

MAX_MENTIONS = 20  # members one message mentions at most (the rest stay plain text)


def resolve(group_id, content, sender_id=0):
    """The ids of the members of ``group_id`` that ``content`` mentions, in
    order of first mention (the sender's own name is no mention)."""
    if "@" not in (content or ""):
        return []
    members = Contact.member_ids(group_id)
    if not members:
        return []
    names = db.session.execute(
        select(UserBasic.id, UserBasic.name).where(UserBasic.id.in_(sorted(members)), UserBasic.deleted_at.is_(None))
    ).all()
    names = sorted(((name.casefold(), int(uid)) for uid, name in names if name), key=lambda n: -len(n[0]))
    folded = content.casefold()
    found = []
    start = folded.find("@")
    while start >= 0 and len(found) < MAX_MENTIONS:
        if start == 0 or not folded[start - 1].isalnum():
            for name, uid in names:
                end = start + 1 + len(name)
                if folded.startswith(name, start + 1) and (end == len(folded) or not _name_char(folded[end])):
                    if uid != sender_id and uid not in found:
                        found.append(uid)
                    break
        start = folded.find("@", start + 1)
    return found


def _name_char(ch):
    return ch.isalnum() or ch in "_-."


def _readable(user_id):
    """The SQL condition of the mentions of ``user_id`` in groups they belong to,
    above their history floor in each."""
    c = messages.message_table.c
    floors = Contact.history_floors(user_id)
    if not floors:
        return None
    return or_(*((c.target_id == gid) & (c.id > floor) for gid, floor in sorted(floors.items())))


def _query(user_id, what):
    c = messages.message_table.c
    m = parts.message_mention.c
    where = _readable(user_id)
    if where is None:
        return None
    return (
        select(*what)
        .select_from(parts.message_mention.join(messages.message_table, c.id == m.message_id))
        .where(m.user_id == user_id, c.type == messages.GROUP, c.media != messages.RECALLED, where)
    )


def mentions_of(user_id, before=None, limit=50):
    """The messages mentioning ``user_id`` that they may read, newest first,
    with the total count and how many are unread (above their read cursor)."""
    c = messages.message_table.c
    query = _query(user_id, [messages.message_table])
    if query is None:
        return [], 0, {}
    if before is not None:
        query = query.where(c.id < before)
    raw = [dict(r) for r in db.session.execute(query.order_by(c.id.desc()).limit(limit)).mappings()]
    floors = Contact.history_floors(user_id)
    rows = messages.frames_of(raw, floor=lambda row: floors.get(int(row["target_id"]), 0))
    total = db.session.scalar(_query(user_id, [func.count()]))
    return rows, int(total or 0), unread_by_group(user_id)


def unread_by_group(user_id):
    """{group id: mentions of ``user_id`` above their read cursor of the group}."""
    c = messages.message_table.c
    r = read_cursor.read_cursor.c
    query = _query(user_id, [c.target_id, func.count()])
    if query is None:
        return {}
    query = (
        query.outerjoin(read_cursor.read_cursor, (r.user_id == user_id) & (r.conv == c.conv))
        .where(or_(r.msg_id.is_(None), c.id > r.msg_id))
        .group_by(c.target_id)
    )
    return {int(gid): int(n) for gid, n in db.session.execute(query).all()}
