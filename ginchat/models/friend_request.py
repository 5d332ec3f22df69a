"""Friend requests: one row per pending (from, to) pair."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, UniqueConstraint, and_, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.extensions import Model, db
from ginchat.models.user_basic import utc_ms, utcnow


class FriendRequest(Model):
    __tablename__ = "friend_request"
    __table_args__ = (UniqueConstraint("from_id", "to_id", name="uq_friend_request_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    from_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    to_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)

    def public(self, users: Mapping[int, Any]) -> dict[str, Any]:
        return {
            "ID": self.id,
            "FromId": self.from_id,
            "ToId": self.to_id,
            "From": users.get(self.from_id),
            "To": users.get(self.to_id),
            "CreateTime": utc_ms(self.created_at),
        }


def pending(from_id: int, to_id: int) -> "FriendRequest | None":
    """The request from ``from_id`` to ``to_id``, or None."""
    return db.session.scalar(
        select(FriendRequest).where(FriendRequest.from_id == from_id, FriendRequest.to_id == to_id)
    )


def involving(user_id: int) -> Sequence["FriendRequest"]:
    """Requests to and from ``user_id``, newest first."""
    return db.session.scalars(
        select(FriendRequest)
        .where(or_(FriendRequest.to_id == user_id, FriendRequest.from_id == user_id))
        .order_by(FriendRequest.id.desc())
    ).all()


def delete_between(a: int, b: int) -> None:
    """Any request between a and b, either way (no commit)."""
    db.session.execute(
        delete(FriendRequest).where(
            or_(
                and_(FriendRequest.from_id == a, FriendRequest.to_id == b),
                and_(FriendRequest.from_id == b, FriendRequest.to_id == a),
            )
        )
    )
