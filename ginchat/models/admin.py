"""What administrators keep: the audit log of their actions, invitations and
password-reset links (only digests of the secrets are stored)."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.extensions import Model, changed, db
from ginchat.models.user_basic import utc_ms, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class FoundByToken:
    """A row found by the digest of the token it was issued with."""

    digest: Any  # the column, declared by each table

    @classmethod
    def find(cls, token: object) -> Any:  # a row of cls, or None
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        return db.session.scalar(select(cls).where(cls.digest == digest_of(token)))


class ServerSetting(Model):
    """A setting an administrator changed at run time; every node reads it here."""

    __tablename__ = "server_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)

    @classmethod
    def read(cls, key: str) -> str | None:
        row = db.session.get(cls, key)
        return None if row is None else row.value

    @classmethod
    def write(cls, key: str, value: str) -> None:
        """Set it (no commit); the caller commits with whatever goes with it."""
        row = db.session.get(cls, key)
        if row is None:
            db.session.add(cls(key=key, value=value))
        else:
            row.value = value


class AuditEntry(Model):
    """One administrator's action: who, what, when, to whom; never a secret."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the command line
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    target_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(255), default="")

    def public(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Time": utc_ms(self.created_at),
            "ActorId": self.actor_id or 0,
            "Action": self.action,
            "TargetUserId": self.target_user_id or 0,
            "TargetGroupId": self.target_group_id or 0,
            "Detail": self.detail or "",
        }


class Invitation(FoundByToken, Model):
    """A link that lets ``uses_left`` more people register until ``expires_at``."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_basic.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    max_uses: Mapped[int] = mapped_column(Integer, nullable=False)
    uses_left: Mapped[int] = mapped_column(Integer, nullable=False)
    revoked: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def make(cls, creator_id: int, uses: int, ttl_hours: int) -> tuple[str, "Invitation"]:
        """A new invitation: returns (token, row); the token is shown once."""
        token = secrets.token_urlsafe(24)
        row = cls(
            digest=digest_of(token),
            created_by=creator_id,
            expires_at=utcnow() + timedelta(hours=ttl_hours),
            max_uses=uses,
            uses_left=uses,
        )
        db.session.add(row)
        return token, row

    def is_live(self) -> bool:
        return not self.revoked and self.uses_left > 0 and self.expires_at >= utcnow()

    def take(self) -> bool:
        """Use it once; False when another request took the last use first."""
        done = changed(
            db.update(Invitation)
            .where(Invitation.id == self.id, Invitation.uses_left > 0, Invitation.revoked.is_(False))
            .values(uses_left=Invitation.uses_left - 1)
        )
        return done == 1

    def public(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "CreatedBy": self.created_by,
            "Created": utc_ms(self.created_at),
            "Expires": utc_ms(self.expires_at),
            "MaxUses": self.max_uses,
            "UsesLeft": self.uses_left,
            "Revoked": bool(self.revoked),
            "Live": self.is_live(),
        }


class PasswordReset(FoundByToken, Model):
    """A one-time link to set a new password, valid for an hour."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_basic.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    used: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def make(cls, user_id: int, creator_id: int | None, ttl_minutes: int = 60) -> tuple[str, "PasswordReset"]:
        token = secrets.token_urlsafe(32)
        row = cls(
            digest=digest_of(token),
            user_id=user_id,
            created_by=creator_id,
            expires_at=utcnow() + timedelta(minutes=ttl_minutes),
        )
        db.session.add(row)
        return token, row

    def take(self) -> bool:
        """Use it; False when it was used (or has expired) already."""
        done = changed(
            db.update(PasswordReset)
            .where(PasswordReset.id == self.id, PasswordReset.used.is_(False), PasswordReset.expires_at >= utcnow())
            .values(used=True)
        )
        return done == 1
