"""Users (the Go project's models/user_basic.go): the table and its queries.
The rules of names, passwords and addresses, registration and login live in
ginchat/domain/accounts.py; the login sessions in ginchat/models/auth_token.py."""

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import ColumnElement, DateTime, Index, Integer, Select, String, case, func, or_, select, text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ginchat.errors import not_found
from ginchat.extensions import Model, db
from ginchat.models.columns import (  # noqa: F401  (utcnow, utc_ms, commit_or_conflict: imported from here too)
    DISPLAY_KEY_TYPE,
    NAME_KEY_TYPE,
    WORDS_TYPE,
    _escape_like,
    commit_name,
    commit_or_conflict,
    starts_with,
    utc_ms,
    utcnow,
)
from ginchat.settings import settings
from ginchat.utils.cjk import has_cjk
from ginchat.utils.names import name_key, name_words, skeleton

ADMIN = "admin"


class UserBasic(UserMixin, Model):
    __tablename__ = "user_basic"
    __table_args__ = (Index("ix_user_basic_display_key", "display_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    name_key: Mapped[str] = mapped_column(NAME_KEY_TYPE, unique=True, nullable=False)
    # The TR39 skeleton: no two accounts have names that pass for each other.
    name_skeleton: Mapped[str] = mapped_column(NAME_KEY_TYPE, unique=True, nullable=False)
    # Shown instead of the name (which stays the unique @handle); may hold
    # spaces, not unique; "" for none. display_key: its lookup form (the
    # people search), like name_key.
    display_name: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default=text("''"))
    display_key: Mapped[str] = mapped_column(DISPLAY_KEY_TYPE, nullable=False, default="", server_default=text("''"))
    # The people search's words (utils.names.name_words): every word of the
    # name and display name, and a Chinese name's pinyin.
    name_words: Mapped[str] = mapped_column(WORDS_TYPE, nullable=False, default="", server_default=text("''"))
    password: Mapped[str] = mapped_column(String(255), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    avatar: Mapped[str] = mapped_column(String(255), default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    login_time: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # "admin" for an administrator, "" for everyone else.
    role: Mapped[str] = mapped_column(String(16), default="", server_default=text("''"), nullable=False)
    # Set while an administrator has deactivated the account (reversible, unlike deleted_at).
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The interface language the user chose (ginchat/i18n.py LANGUAGES), or ""
    # to follow the browser's Accept-Language.
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="", server_default=text("''"))

    # --- password -------------------------------------------------------
    def set_password(self, password: str) -> None:
        """Store the hash of a password the rules passed (domain/accounts.py):
        werkzeug's scrypt (PASSWORD_HASH) with a per-user random salt."""
        self.password = generate_password_hash(password, method=settings().password_hash)

    def verify_password(self, password: str | None) -> bool:
        return bool(password) and check_password_hash(self.password, password or "")

    # --- what others may see -------------------------------------------
    def public(self, online: bool = False, contact: bool = False) -> dict[str, Any]:
        """The public user object. ``contact``: the viewer may see Phone and
        Email (the user or a friend); ``online``: the status the viewer may see.
        Who may see what is decided by service.user.public_users."""
        return {
            "ID": self.id,
            "Name": self.name,
            "DisplayName": self.display_name or "",
            "Avatar": self.avatar or "",
            "Phone": (self.phone or "") if contact else "",
            "Email": (self.email or "") if contact else "",
            "Online": bool(online),
        } | ({"Deactivated": True} if self.deactivated_at is not None else {})

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.deactivated_at is None

    # --- queries ----------------------------------------------------------
    @classmethod
    def live(cls) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """The accounts neither deleted nor deactivated (the ones others see)."""
        return (cls.deleted_at.is_(None), cls.deactivated_at.is_(None))

    @classmethod
    def active(cls) -> Select[Any]:
        return select(cls).where(*cls.live())

    @classmethod
    def get_active(cls, user_id: int) -> "UserBasic | None":
        user = db.session.get(cls, user_id)
        if user is None or not user.is_active:
            return None
        return user

    @classmethod
    def get_existing(cls, user_id: int) -> "UserBasic | None":
        """The account, deactivated or not (not deleted), or None."""
        user = db.session.get(cls, user_id)
        if user is None or user.deleted_at is not None:
            return None
        return user

    @classmethod
    def many(cls, user_ids: Iterable[int]) -> list["UserBasic"]:
        """The active users among ``user_ids``, in that order, in one query."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return []
        found = {u.id: u for u in db.session.scalars(cls.active().where(cls.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    @classmethod
    def existing_many(cls, user_ids: Iterable[int]) -> list["UserBasic"]:
        """The accounts among ``user_ids``, deactivated or not (not deleted),
        in that order, in one query."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return []
        rows = db.session.scalars(select(cls).where(cls.id.in_(ids), cls.deleted_at.is_(None)))
        found = {u.id: u for u in rows}
        return [found[i] for i in ids if i in found]

    @classmethod
    def find_existing_by_name(cls, name: str) -> "UserBasic | None":
        """The account of ``name`` (any spelling its lookup key finds),
        deactivated or not, not deleted; None for none."""
        return db.session.scalar(select(cls).where(cls.deleted_at.is_(None), cls.name_key == name_key(name)))

    @classmethod
    def find_by_name(cls, name: str) -> "UserBasic | None":
        return db.session.scalar(cls.active().where(cls.name_key == name_key(name)))

    @classmethod
    def must_get(cls, user_id: int) -> "UserBasic":
        user = cls.get_active(user_id)
        if user is None:
            raise not_found(f"no user with ID {user_id}")
        return user

    @classmethod
    def page(cls, page: int, size: int) -> tuple[Sequence["UserBasic"], int]:
        total = db.session.scalar(select(func.count()).select_from(cls).where(*cls.live())) or 0
        users = db.session.scalars(cls.active().order_by(cls.id).offset((page - 1) * size).limit(size)).all()
        return users, total

    @classmethod
    def search(
        cls, key: str, viewer_id: int, page: int, size: int, hidden: Collection[int] = ()
    ) -> tuple[Sequence["UserBasic"], int]:
        """Live accounts but ``viewer_id`` and ``hidden`` whose name or display
        name starts with ``key`` (a search_key), or one of whose words does
        (name_words), or, for a CJK key, whose name holds it anywhere: by
        name, (page, total). The word matches scan the table: fine for the
        accounts of one team's server."""
        words = _escape_like(key)
        found = [
            starts_with(cls.name_key, key),
            starts_with(cls.display_key, key),
            cls.name_words.like(f"% {words}%", escape="\\"),
        ]
        if has_cjk(key):
            found.append(cls.name_words.like(f"%{words}%", escape="\\"))
        where = [*cls.live(), cls.id != viewer_id, or_(*found)]
        if hidden:
            where.append(cls.id.not_in(sorted(hidden)))
        total = db.session.scalar(select(func.count()).select_from(cls).where(*where)) or 0
        users = db.session.scalars(
            select(cls).where(*where).order_by(cls.name_key, cls.id).offset((page - 1) * size).limit(size)
        ).all()
        return users, total

    @classmethod
    def directory(
        cls, viewer_id: int, page: int, size: int, hidden: Collection[int] = ()
    ) -> tuple[Sequence["UserBasic"], int]:
        """Every live account but ``viewer_id`` and ``hidden``, by display
        name (the name for those without one), a page at a time: (page, total)."""
        where = [*cls.live(), cls.id != viewer_id]
        if hidden:
            where.append(cls.id.not_in(sorted(hidden)))
        shown = case((cls.display_key != "", cls.display_key), else_=cls.name_key)
        total = db.session.scalar(select(func.count()).select_from(cls).where(*where)) or 0
        users = db.session.scalars(
            select(cls).where(*where).order_by(shown, cls.name_key, cls.id).offset((page - 1) * size).limit(size)
        ).all()
        return users, total

    # --- changes ----------------------------------------------------------
    def set_display_name(self, text: str) -> None:
        """Store a display name the rules passed, with its lookup forms."""
        self.display_name = text
        self.display_key = name_key(self.display_name)
        self.name_words = name_words(self.name or "", self.display_name)

    def set_name(self, name: str) -> None:
        """Store a name the rules passed (domain/accounts.py), with its lookup forms."""
        self.name = name
        self.name_key = name_key(self.name)
        self.name_words = name_words(self.name, self.display_name or "")
        self.name_skeleton = skeleton(self.name)

    def commit_name(self) -> None:
        commit_name(
            UserBasic,
            self.name,
            f"the name {self.name!r} is taken",
            f"the name {self.name!r} looks like the name of another account",
        )
