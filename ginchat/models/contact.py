"""Relations between users (the Go project's models/contact.go):
Type 1 is a friendship (one row each way), Type 2 a group membership,
Type 3 a removal from a group (the removed user may not rejoin on their own),
Type 4 the owner's own settings of a private chat with someone who is not
their friend (DIRECT_MESSAGES=members: a colleague), made when first needed
(muting it)."""

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, aliased, mapped_column

from ginchat.extensions import Model, changed, db
from ginchat.models.message import ID_TYPE
from ginchat.models.user_basic import UserBasic, utcnow

FRIEND = 1
MEMBER = 2
REMOVED = 3
CHAT = 4

# Roles of a member row (the owner is the group's owner_id, whatever the row says).
MEMBER_ROLE = 0
ADMIN_ROLE = 1
# The muted levels: 1 (alerts off but for mentions, @all, @here), COMPLETELY (none).
COMPLETELY = 2


class Contact(Model):
    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("owner_id", "target_id", "type", name="uq_contact_owner_target_type"),
        Index("ix_contact_target_type", "target_id", "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    owner_id: Mapped[int] = mapped_column(Integer, nullable=False)
    target_id: Mapped[int] = mapped_column(Integer, nullable=False)
    type: Mapped[int] = mapped_column(Integer, nullable=False)
    desc: Mapped[str] = mapped_column(String(255), default="")
    # Member rows only. role: MEMBER_ROLE or ADMIN_ROLE. join_id: the group's
    # latest message Id when the member joined (their unread count starts
    # there). history_id: they read only messages with a larger Id (0: all).
    role: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=MEMBER_ROLE, server_default="0")
    join_id: Mapped[int] = mapped_column(ID_TYPE, nullable=False, default=0, server_default="0")
    history_id: Mapped[int] = mapped_column(ID_TYPE, nullable=False, default=0, server_default="0")
    # Friend and member rows: 1 when the owner muted the conversation (no
    # alerts on any of their devices; messages still arrive and count as
    # unread), 2 when they muted it completely (not even @all, @here or a
    # mention of them alerts: issue 28). A small integer, as role, so its
    # default reads alike on every database.
    muted: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0, server_default="0")
    # Member rows only: the place (Id) of the group notice the member has seen
    # (issue 28): the notice is New for them, on every device, while its
    # communities.notice_rev is above it.
    notice_seen: Mapped[int] = mapped_column(ID_TYPE, nullable=False, default=0, server_default="0")

    # --- friends ----------------------------------------------------------
    @classmethod
    def is_friend(cls, user_id, other_id):
        return (
            db.session.scalar(
                select(cls.id).where(cls.owner_id == user_id, cls.target_id == other_id, cls.type == FRIEND)
            )
            is not None
        )

    @classmethod
    def add_friendship(cls, a, b):
        """Both friend rows (no commit)."""
        db.session.add_all([cls(owner_id=a, target_id=b, type=FRIEND), cls(owner_id=b, target_id=a, type=FRIEND)])

    @classmethod
    def delete_friendship(cls, a, b):
        """Both friend rows (no commit); how many went."""
        return changed(
            delete(cls).where(
                cls.type == FRIEND,
                or_(and_(cls.owner_id == a, cls.target_id == b), and_(cls.owner_id == b, cls.target_id == a)),
            )
        )

    @classmethod
    def friend_ids(cls, user_id):
        return set(db.session.scalars(select(cls.target_id).where(cls.owner_id == user_id, cls.type == FRIEND)))

    @classmethod
    def friends(cls, user_id):
        return db.session.scalars(
            UserBasic.active()
            .join(cls, cls.target_id == UserBasic.id)
            .where(cls.owner_id == user_id, cls.type == FRIEND)
            .order_by(UserBasic.name)
        ).all()

    @classmethod
    def relations(cls, viewer_id, user_ids):
        """(friends, fellow group members) of ``viewer_id`` among ``user_ids``:
        two queries for any number of users."""
        ids = sorted(set(user_ids) - {viewer_id})
        if not ids:
            return set(), set()
        friends = set(
            db.session.scalars(
                select(cls.target_id).where(cls.owner_id == viewer_id, cls.type == FRIEND, cls.target_id.in_(ids))
            )
        )
        mine, theirs = aliased(cls), aliased(cls)
        fellows = set(
            db.session.scalars(
                select(theirs.owner_id)
                .distinct()
                .join(mine, mine.target_id == theirs.target_id)
                .where(mine.owner_id == viewer_id, mine.type == MEMBER, theirs.type == MEMBER, theirs.owner_id.in_(ids))
            )
        )
        return friends, fellows

    # --- muting -----------------------------------------------------------
    @classmethod
    def set_muted(cls, owner_id, target_id, kind, muted):
        """Mute or unmute the owner's friend (kind FRIEND) or group (MEMBER)
        row (no commit); ``muted``: the level, 0 (or False), 1 (or True) or
        COMPLETELY. False when there is no such row."""
        level = int(muted)
        done = changed(
            update(cls)
            .where(cls.owner_id == owner_id, cls.target_id == target_id, cls.type == kind)
            .values(muted=level)
        )
        return done > 0

    @classmethod
    def set_chat_muted(cls, owner_id, target_id, muted):
        """Mute or unmute the owner's private chat with a colleague: their
        CHAT row, made on the first mute (no commit)."""
        if cls.set_muted(owner_id, target_id, CHAT, muted) or not muted:
            return
        try:
            with db.session.begin_nested():  # another node may make it at the same time
                db.session.add(cls(owner_id=owner_id, target_id=target_id, type=CHAT, muted=int(muted)))
        except IntegrityError:
            cls.set_muted(owner_id, target_id, CHAT, muted)

    @classmethod
    def muted_ids(cls, owner_id, kind):
        """The friends (FRIEND) or groups (MEMBER) the owner muted."""
        return set(
            db.session.scalars(select(cls.target_id).where(cls.owner_id == owner_id, cls.type == kind, cls.muted >= 1))
        )

    @classmethod
    def completely_muted_ids(cls, owner_id, kind):
        """The friends (FRIEND) or groups (MEMBER) the owner muted completely."""
        return set(
            db.session.scalars(
                select(cls.target_id).where(cls.owner_id == owner_id, cls.type == kind, cls.muted == COMPLETELY)
            )
        )

    # --- groups -----------------------------------------------------------
    @classmethod
    def is_member(cls, user_id, group_id):
        return (
            db.session.scalar(
                select(cls.id).where(cls.owner_id == user_id, cls.target_id == group_id, cls.type == MEMBER)
            )
            is not None
        )

    @classmethod
    def delete_membership(cls, user_id, group_id):
        """The member row (no commit); how many went."""
        return changed(delete(cls).where(cls.owner_id == user_id, cls.target_id == group_id, cls.type == MEMBER))

    @classmethod
    def membership(cls, user_id, group_id):
        """The member row of ``user_id`` in a group, or None."""
        return db.session.scalar(
            select(cls).where(cls.owner_id == user_id, cls.target_id == group_id, cls.type == MEMBER)
        )

    @classmethod
    def history_after(cls, user_id, group_id):
        """The one rule of what a member may read of a group: the messages
        with an Id above this (None: not a member, nothing)."""
        return db.session.scalar(
            select(cls.history_id).where(cls.owner_id == user_id, cls.target_id == group_id, cls.type == MEMBER)
        )

    @classmethod
    def history_floors(cls, user_id):
        """{group id: history_after} of every group of the user."""
        rows = db.session.execute(
            select(cls.target_id, cls.history_id).where(cls.owner_id == user_id, cls.type == MEMBER)
        ).all()
        return {int(gid): int(floor or 0) for gid, floor in rows}

    @classmethod
    def cannot_read(cls, group_id, msg_id):
        """The members of a group whose history starts after ``msg_id``."""
        return set(
            db.session.scalars(
                select(cls.owner_id).where(cls.target_id == group_id, cls.type == MEMBER, cls.history_id >= msg_id)
            )
        )

    @classmethod
    def join_points(cls, group_id):
        """{member id: join_id} of a group."""
        rows = db.session.execute(
            select(cls.owner_id, cls.join_id).where(cls.target_id == group_id, cls.type == MEMBER)
        ).all()
        return {int(uid): int(join or 0) for uid, join in rows}

    @classmethod
    def notice_marks(cls, user_id, group_ids):
        """{group id: the Id of its notice ``user_id`` has seen} (issue 28)."""
        if not group_ids:
            return {}
        rows = db.session.execute(
            select(cls.target_id, cls.notice_seen).where(
                cls.owner_id == user_id, cls.type == MEMBER, cls.target_id.in_(sorted(group_ids))
            )
        )
        return {int(gid): int(seen or 0) for gid, seen in rows}

    @classmethod
    def member_roles(cls, group_id):
        """{member id: role} of a group."""
        rows = db.session.execute(
            select(cls.owner_id, cls.role).where(cls.target_id == group_id, cls.type == MEMBER)
        ).all()
        return {int(uid): int(role or 0) for uid, role in rows}

    @classmethod
    def group_roles(cls, user_id):
        """{group id: role} of a user's groups."""
        rows = db.session.execute(
            select(cls.target_id, cls.role).where(cls.owner_id == user_id, cls.type == MEMBER)
        ).all()
        return {int(gid): int(role or 0) for gid, role in rows}

    @classmethod
    def was_removed(cls, user_id, group_id):
        return (
            db.session.scalar(
                select(cls.id).where(cls.owner_id == user_id, cls.target_id == group_id, cls.type == REMOVED)
            )
            is not None
        )

    @classmethod
    def member_ids(cls, group_id):
        """The 'SearchUserByGroupId' of the original."""
        return set(db.session.scalars(select(cls.owner_id).where(cls.target_id == group_id, cls.type == MEMBER)))

    @classmethod
    def group_ids(cls, user_id):
        return set(db.session.scalars(select(cls.target_id).where(cls.owner_id == user_id, cls.type == MEMBER)))

    @classmethod
    def member_counts(cls, group_ids):
        if not group_ids:
            return {}
        rows = db.session.execute(
            select(cls.target_id, func.count())
            .where(cls.target_id.in_(group_ids), cls.type == MEMBER)
            .group_by(cls.target_id)
        )
        return dict(rows.all())
