"""Mentions: ``@name`` in a group's text names a member. The server finds
the members at store time, the message carries their ids (``Mentions``) and
each mention is a row, which is what the Mentions view and its unread count
read.

The rule: an ``@`` that does not follow a letter or digit (``mail@host`` is
no mention), followed by a member's name or display name, compared as their
lookup keys (NFKC, case-folded), whether or not a space follows: the longest
one that matches wins, so "@张伟请看一下" mentions 张伟 and "@ann lee" the member
shown as "Ann Lee" rather than the one named "ann". A display name two
members share mentions neither (their names still do), and a display name
never hides another member's name.

The cost is linear in the text and bounded whatever it holds: the members'
keys are read into a map (``NameIndex``, kept while the group's members and
their names stay the same: see member_names), only the first
``MENTION_SIGNS`` ``@`` are looked at, each with one dictionary look-up per
distinct key length (at most the longest key's length), and at most
``MAX_MENTIONS`` members are mentioned."""

import re
import time
from collections import OrderedDict
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from ginchat.errors import forbidden
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models import message_parts as parts
from ginchat.models import read_cursor
from ginchat.models.community import ADMINS, MEMBERS, Community
from ginchat.models.contact import ADMIN_ROLE, MEMBER, Contact
from ginchat.models.user_basic import UserBasic
from ginchat.utils.names import name_key
from ginchat.utils.presence import online_map

MENTION_SIGNS = 50  # the @ of one message that are read (a text of 4,096 costs what one of 50 does)
MAX_MENTIONS = 20  # members one message mentions at most (their ids fit the message's 255-character column)
MENTION_GROUPS = 256  # groups whose NameIndex each app keeps
MENTION_INDEX_TTL = 10.0  # seconds a kept NameIndex is used at most
_AT = re.compile(r"(?<![^\W_])@")  # an @ not right after a letter or digit


class NameIndex:
    """{lookup key: member id} of a group's names and display names, and the
    key lengths longest first: what one ``@`` is matched against."""

    def __init__(self, names=(), display_names=()):
        keys: dict[str, Any] = {}
        shared = set()
        for key, uid in display_names:
            if key and keys.setdefault(key, uid) != uid:
                shared.add(key)
        for key in shared:
            del keys[key]
        for key, uid in names:  # a name is unique: it wins over any display name
            if key:
                keys[key] = uid
        self.keys = keys
        self.lengths = sorted({len(key) for key in keys}, reverse=True)

    def longest_at(self, folded, start):
        """The member whose key is the longest one ``folded`` holds at ``start``, or None."""
        keys = self.keys
        room = len(folded) - start
        for length in self.lengths:
            if length <= room:
                uid = keys.get(folded[start : start + length])
                if uid is not None:
                    return uid
        return None

    def mentioned(self, content, sender_id=0):
        """The ids ``content`` mentions, in order of first mention (the
        sender's own name is no mention)."""
        folded = name_key(content)
        found: list[Any] = []
        for count, at in enumerate(_AT.finditer(folded)):
            if count == MENTION_SIGNS or len(found) == MAX_MENTIONS:
                break
            uid = self.longest_at(folded, at.end())
            if uid is not None and uid != sender_id and uid not in found:
                found.append(uid)
        return found


def member_names(group_id):
    """The NameIndex of ``group_id``'s members. Reading 1,000 members' keys
    costs milliseconds, so the index is kept per app (``MENTION_GROUPS``
    groups, the least recent go) and used while one aggregate query finds the
    group's fingerprint unchanged (members, the newest membership, the latest
    change to a member's row: a join, a leave, a rename, a deletion) and for
    ``MENTION_INDEX_TTL`` seconds at most (a rename in the same second as the
    group's last change, on a database that keeps whole seconds)."""
    stamp = tuple(
        db.session.execute(
            select(func.count(), func.max(Contact.id), func.max(UserBasic.updated_at))
            .select_from(Contact)
            .join(UserBasic, UserBasic.id == Contact.owner_id)
            .where(Contact.target_id == group_id, Contact.type == MEMBER)
        ).one()
    )
    cache = current_app.extensions.setdefault("mention_index", OrderedDict())
    now = time.monotonic()
    kept = cache.get(group_id)
    if kept is not None and kept[0] == stamp and now - kept[1] < MENTION_INDEX_TTL:
        cache.move_to_end(group_id)
        return kept[2]
    rows = db.session.execute(
        select(UserBasic.id, UserBasic.name_key, UserBasic.display_key)
        .join(Contact, Contact.owner_id == UserBasic.id)
        .where(Contact.target_id == group_id, Contact.type == MEMBER, UserBasic.deleted_at.is_(None))
    ).all()
    index = NameIndex(
        names=((key, int(uid)) for uid, key, _ in rows),
        display_names=((key, int(uid)) for uid, _, key in rows),
    )
    cache[group_id] = (stamp, now, index)
    cache.move_to_end(group_id)
    while len(cache) > MENTION_GROUPS:
        cache.popitem(last=False)
    return index


def resolve(group_id, content, sender_id=0):
    """The ids of the members of ``group_id`` that ``content`` mentions, in
    order of first mention (the sender's own name is no mention)."""
    if "@" not in (content or ""):
        return []
    return member_names(group_id).mentioned(content, sender_id)


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


# --- @all and @here (issue 28 item 4) ---------------------------------------------
# ``@all`` (also ``@所有人``) alerts every member, ``@here`` the members online
# when it is sent. The word must end there (``@allen`` is no @all); it is read
# in the same bounded pass as the names: the first MENTION_SIGNS ``@`` only.
BROADCAST_WORDS = (("所有人", messages.MENTION_ALL), ("all", messages.MENTION_ALL), ("here", messages.MENTION_HERE))
_WORD_CHAR = re.compile(r"[^\W_]", re.ASCII)  # an ASCII letter or digit goes on with the word


def broadcast_of(content):
    """messages.MENTION_ALL, MENTION_HERE or None: the strongest of the
    broadcast mentions ``content`` holds (@all wins over @here)."""
    if "@" not in (content or ""):
        return None
    folded = name_key(content)
    found = None
    for count, at in enumerate(_AT.finditer(folded)):
        if count == MENTION_SIGNS:
            break
        start = at.end()
        for word, kind in BROADCAST_WORDS:
            end = start + len(word)
            if folded.startswith(word, start) and not (end < len(folded) and _WORD_CHAR.match(folded[end])):
                if kind == messages.MENTION_ALL:
                    return kind
                found = kind
    return found


def check_broadcast(group_id, sender_id):
    """May ``sender_id`` write @all or @here in ``group_id``? The group's
    WhoMayMentionAll: members, admins (the owner and the admins) or nobody.
    Raises 403 (the message is not stored)."""
    group = db.session.get(Community, group_id)
    rule = (group.who_may_mention_all if group is not None else None) or ADMINS
    if rule == MEMBERS:
        return
    if rule == ADMINS:
        if group is not None and group.owner_id == sender_id:
            return
        role = db.session.scalar(
            select(Contact.role).where(
                Contact.owner_id == sender_id, Contact.target_id == group_id, Contact.type == MEMBER
            )
        )
        if role == ADMIN_ROLE:
            return
        raise forbidden("only the owner and the admins may use @all and @here in this group (WhoMayMentionAll)")
    raise forbidden("nobody may use @all and @here in this group (WhoMayMentionAll)")


def alerted_by(group_id, sender_id, kind, redis_client):
    """The members a broadcast mention alerts (the sender left out): all of
    them for @all, for @here those online now on any node (Redis's
    ``online_<id>``; everyone offline when Redis does not answer)."""
    members = [
        int(uid)
        for uid in db.session.scalars(
            select(Contact.owner_id).where(Contact.target_id == group_id, Contact.type == MEMBER)
        )
        if int(uid) != sender_id
    ]
    if kind != messages.MENTION_HERE:
        return sorted(members)
    online = online_map(redis_client, members)
    return sorted(uid for uid in members if online.get(uid))
