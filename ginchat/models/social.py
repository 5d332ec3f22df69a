"""Tables of issue 9: read cursors, friend requests and blocks.

New tables only (``db.create_all`` makes them on start); the message table
keeps its columns: a recalled message is blanked in place (Media 0).
"""

from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.errors import bad_request, conflict, forbidden, not_found
from ginchat.extensions import db
from ginchat.models import message as messages
from ginchat.models.contact import FRIEND, MEMBER, Contact
from ginchat.models.user_basic import commit_or_conflict, utc_ms, utcnow

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


class FriendRequest(db.Model):
    __tablename__ = "friend_request"
    __table_args__ = (UniqueConstraint("from_id", "to_id", name="uq_friend_request_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    from_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    to_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)

    def public(self, users):
        return {
            "ID": self.id,
            "FromId": self.from_id,
            "ToId": self.to_id,
            "From": users.get(self.from_id),
            "To": users.get(self.to_id),
            "CreateTime": utc_ms(self.created_at),
        }


class Block(db.Model):
    __tablename__ = "user_block"
    __table_args__ = (UniqueConstraint("user_id", "target_id", name="uq_user_block_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)  # who blocks
    target_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)  # who is blocked


# --- blocks ----------------------------------------------------------------------
def is_blocked(user_id, by_id):
    """Has ``by_id`` blocked ``user_id``?"""
    return db.session.scalar(
        select(Block.id).where(Block.user_id == by_id, Block.target_id == user_id)
    ) is not None


def blocked_either_way(a, b):
    return db.session.scalar(
        select(Block.id).where(
            or_(and_(Block.user_id == a, Block.target_id == b), and_(Block.user_id == b, Block.target_id == a))
        )
    ) is not None


def blocked_with(user_id):
    """Everyone ``user_id`` has blocked or is blocked by: no read receipts
    pass between them."""
    rows = db.session.execute(
        select(Block.user_id, Block.target_id).where(or_(Block.user_id == user_id, Block.target_id == user_id))
    ).all()
    return {int(a) if int(b) == int(user_id) else int(b) for a, b in rows}


def blocked_ids(user_id):
    return list(db.session.scalars(select(Block.target_id).where(Block.user_id == user_id).order_by(Block.id)))


def _drop_friendship(a, b):
    """Both friend rows and any pending request between a and b (no commit)."""
    result = db.session.execute(
        delete(Contact).where(
            Contact.type == FRIEND,
            or_(and_(Contact.owner_id == a, Contact.target_id == b), and_(Contact.owner_id == b, Contact.target_id == a)),
        )
    )
    db.session.execute(
        delete(FriendRequest).where(
            or_(and_(FriendRequest.from_id == a, FriendRequest.to_id == b),
                and_(FriendRequest.from_id == b, FriendRequest.to_id == a))
        )
    )
    return result.rowcount


def block(user, target):
    """Block ``target``: the friendship and pending requests end, in one
    transaction; no new request or message from them gets through."""
    if target.id == user.id:
        raise bad_request("you cannot block yourself")
    if is_blocked(target.id, user.id):
        raise conflict(f"{target.name} is blocked already")
    _drop_friendship(user.id, target.id)
    db.session.add(Block(user_id=user.id, target_id=target.id))
    commit_or_conflict(f"{target.name} is blocked already")


def unblock(user, target):
    result = db.session.execute(delete(Block).where(Block.user_id == user.id, Block.target_id == target.id))
    db.session.commit()
    if not result.rowcount:
        raise not_found(f"{target.name} is not blocked")


# --- friends -------------------------------------------------------------------------
def remove_friend(user, target):
    if not _drop_friendship(user.id, target.id):
        db.session.rollback()
        raise not_found(f"{target.name} is not your friend")
    db.session.commit()


def check_may_befriend(user, target):
    if target.id == user.id:
        raise bad_request("you cannot add yourself as a friend")
    if is_blocked(user.id, target.id):
        raise forbidden(f"{target.name} does not accept friend requests from you")
    if is_blocked(target.id, user.id):
        raise forbidden(f"you have blocked {target.name}: unblock them first")
    if Contact.is_friend(user.id, target.id):
        raise conflict(f"{target.name} is already your friend")


def make_friends(user, target):
    """Both rows, and any request between the two gone, in one transaction."""
    db.session.execute(
        delete(FriendRequest).where(
            or_(and_(FriendRequest.from_id == user.id, FriendRequest.to_id == target.id),
                and_(FriendRequest.from_id == target.id, FriendRequest.to_id == user.id))
        )
    )
    db.session.add_all([
        Contact(owner_id=user.id, target_id=target.id, type=FRIEND),
        Contact(owner_id=target.id, target_id=user.id, type=FRIEND),
    ])
    commit_or_conflict(f"{target.name} is already your friend")


def pending_request(from_id, to_id):
    return db.session.scalar(
        select(FriendRequest).where(FriendRequest.from_id == from_id, FriendRequest.to_id == to_id)
    )


def send_request(user, target):
    check_may_befriend(user, target)
    if pending_request(user.id, target.id) is not None:
        raise conflict(f"you have asked {target.name} already")
    req = FriendRequest(from_id=user.id, to_id=target.id)
    db.session.add(req)
    commit_or_conflict(f"you have asked {target.name} already")
    return req


def requests_of(user_id):
    return db.session.scalars(
        select(FriendRequest)
        .where(or_(FriendRequest.to_id == user_id, FriendRequest.from_id == user_id))
        .order_by(FriendRequest.id.desc())
    ).all()


def take_request(request_id, user_id):
    """A request addressed to ``user_id`` (404 for anyone else's)."""
    req = db.session.get(FriendRequest, request_id)
    if req is None or req.to_id != user_id:
        raise not_found(f"no friend request {request_id} for you")
    return req


def decline_request(req):
    db.session.delete(req)
    db.session.commit()


# --- read cursors --------------------------------------------------------------------
def cursor_of(user_id, conv):
    return db.session.scalar(
        select(read_cursor.c.msg_id).where(read_cursor.c.user_id == user_id, read_cursor.c.conv == conv)
    ) or 0


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
    moved = db.session.execute(
        update(read_cursor).where(c.user_id == user_id, c.conv == conv, c.msg_id < target).values(msg_id=target)
    ).rowcount
    if not moved:
        exists = db.session.scalar(select(c.msg_id).where(c.user_id == user_id, c.conv == conv))
        if exists is not None:
            db.session.rollback()
            return None
        try:
            db.session.execute(insert(read_cursor).values(user_id=user_id, conv=conv, msg_id=target))
        except IntegrityError:  # another device inserted it first: try the forward move again
            db.session.rollback()
            moved = db.session.execute(
                update(read_cursor).where(c.user_id == user_id, c.conv == conv, c.msg_id < target)
                .values(msg_id=target)
            ).rowcount
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
    unread = dict(
        db.session.execute(
            select(m.conv, func.count())
            .select_from(joined)
            .where(
                m.conv.in_(convs),
                m.user_id != user_id,
                m.media != messages.RECALLED,
                m.id > func.coalesce(r.msg_id, 0),
            )
            .group_by(m.conv)
        ).all()
    )
    top_ids = [i for (i,) in db.session.execute(
        select(func.max(m.id)).where(m.conv.in_(convs)).group_by(m.conv)
    ).all()]
    last = {}
    if top_ids:
        for row in db.session.execute(select(messages.message_table).where(m.id.in_(top_ids))).mappings():
            last[row["conv"]] = messages.to_frame(row)
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
        read_cursor, and_(r.conv == m.conv, r.user_id == user_id))
    unread = dict(
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
            )
            .group_by(m.target_id)
        ).all()
    )
    top_ids = [i for (i,) in db.session.execute(
        select(func.max(m.id))
        .select_from(messages.message_table.join(Contact, mine))
        .where(m.type == messages.GROUP, m.target_id.in_(group_ids), m.id > Contact.history_id)
        .group_by(m.target_id)
    ).all()]
    last = {}
    if top_ids:
        for row in db.session.execute(select(messages.message_table).where(m.id.in_(top_ids))).mappings():
            last[int(row["target_id"])] = messages.to_frame(row)
    return {int(k): int(v) for k, v in unread.items()}, last


# --- groups ------------------------------------------------------------------------------
def leave_group(user_id, group_id):
    result = db.session.execute(
        delete(Contact).where(Contact.owner_id == user_id, Contact.target_id == group_id, Contact.type == MEMBER)
    )
    db.session.execute(
        delete(read_cursor).where(read_cursor.c.user_id == user_id, read_cursor.c.conv == messages.conv_key(
            messages.GROUP, user_id, group_id))
    )
    return result.rowcount


# --- recall ------------------------------------------------------------------------------
def recall(user_id, msg_id, window_ms, now_ms):
    """Blank message ``msg_id`` of ``user_id`` in place (Id and Seq stay):
    Media 0, no Content, Url or Amount. Returns the message as it was."""
    t = messages.message_table
    c = t.c
    row = db.session.execute(select(t).where(c.id == msg_id)).mappings().first()
    if row is None or row["user_id"] != user_id:
        # Someone else's message looks like a missing one: no probing of Ids.
        raise not_found(f"you have no message {msg_id}")
    if row["media"] == messages.RECALLED:
        raise conflict(f"message {msg_id} is recalled already")
    if now_ms - int(row["create_time"]) > window_ms:
        raise forbidden(f"a message can be recalled within {window_ms // 1000} seconds only")
    done = db.session.execute(
        update(t)
        .where(c.id == msg_id, c.user_id == user_id, c.media != messages.RECALLED)
        .values(media=messages.RECALLED, content="", url="", amount=0)
    ).rowcount
    db.session.commit()
    if not done:
        raise conflict(f"message {msg_id} is recalled already")
    return dict(row)


def url_in_use(url):
    c = messages.message_table.c
    return db.session.scalar(select(func.count()).where(c.url == url)) > 0
