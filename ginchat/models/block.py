"""Blocks: one row per (who blocks, who is blocked)."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, UniqueConstraint, and_, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.extensions import Model, changed, db
from ginchat.models.user_basic import utcnow


class Block(Model):
    __tablename__ = "user_block"
    __table_args__ = (UniqueConstraint("user_id", "target_id", name="uq_user_block_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)  # who blocks
    target_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)  # who is blocked


def is_blocked(user_id: int, by_id: int) -> bool:
    """Has ``by_id`` blocked ``user_id``?"""
    return db.session.scalar(select(Block.id).where(Block.user_id == by_id, Block.target_id == user_id)) is not None


def blocked_either_way(a: int, b: int) -> bool:
    return (
        db.session.scalar(
            select(Block.id).where(
                or_(and_(Block.user_id == a, Block.target_id == b), and_(Block.user_id == b, Block.target_id == a))
            )
        )
        is not None
    )


def blocked_with(user_id: int) -> set[int]:
    """Everyone ``user_id`` has blocked or is blocked by."""
    rows = db.session.execute(
        select(Block.user_id, Block.target_id).where(or_(Block.user_id == user_id, Block.target_id == user_id))
    ).all()
    return {int(a) if int(b) == int(user_id) else int(b) for a, b in rows}


def blocked_ids(user_id: int) -> list[int]:
    """Whom ``user_id`` has blocked, oldest block first."""
    return list(db.session.scalars(select(Block.target_id).where(Block.user_id == user_id).order_by(Block.id)))


def add(user_id: int, target_id: int) -> None:
    """A block row (no commit)."""
    db.session.add(Block(user_id=user_id, target_id=target_id))


def remove(user_id: int, target_id: int) -> int:
    """Delete the block row (no commit); how many rows went."""
    return changed(delete(Block).where(Block.user_id == user_id, Block.target_id == target_id))


def blockers_of(user_id: int) -> set[int]:
    """Everyone who has blocked ``user_id``."""
    return set(db.session.scalars(select(Block.user_id).where(Block.target_id == user_id)))
