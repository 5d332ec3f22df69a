"""Login sessions: one row per login, holding the digests of its bearer
token and browser cookie (split from user_basic.py)."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, ColumnElement, DateTime, ForeignKey, Integer, Select, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from ginchat.extensions import Model, db
from ginchat.models import driversql
from ginchat.models.columns import utcnow
from ginchat.models.user_basic import UserBasic


class AuthToken(Model):
    """A login session: one row per login, holding the bearer Token and the
    browser cookie that login issued. Only SHA-256 digests of their secrets are
    stored, so a leaked table leaks no usable credential; a token is looked up
    by its digest, a cookie by the row id it carries plus its secret's digest.
    Revoking the row ends the token and the cookie alike."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_basic.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # The digest of the cookie's secret; NULL for tokens issued without a cookie.
    cookie_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    revoked: Mapped[bool] = mapped_column(default=False)

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    @classmethod
    def issue(cls, user: UserBasic, ttl_days: float) -> tuple[str, str, "AuthToken"]:
        """Start a session: returns (bearer token, cookie secret, row)."""
        token = secrets.token_urlsafe(32)
        cookie_key = secrets.token_urlsafe(32)
        row = cls(
            user_id=user.id,
            digest=cls.digest_of(token),
            cookie_digest=cls.digest_of(cookie_key),
            expires_at=utcnow() + timedelta(days=ttl_days),
        )
        db.session.add(row)
        db.session.commit()
        return token, cookie_key, row

    def is_live(self) -> bool:
        return not self.revoked and self.expires_at >= utcnow()

    @classmethod
    def live(cls, now: Any = None) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """``is_live`` as SQL conditions: neither revoked nor expired (at
        ``now``: a time, or a bind parameter; by default the present)."""
        return (cls.revoked.is_(False), cls.expires_at >= (utcnow() if now is None else now))

    @classmethod
    def usable(cls, *columns: Any, now: Any = None) -> Select[Any]:
        """A select of ``columns`` over the sessions that can be used now:
        live, and of an active user (what ``resolve`` asks, in one query)."""
        return select(*columns).join(UserBasic, UserBasic.id == cls.user_id).where(*cls.live(now), *UserBasic.live())

    @classmethod
    def resolve(cls, token: str | None) -> tuple[UserBasic | None, "AuthToken | None"]:
        """The (user, token row) a token belongs to, or (None, None)."""
        if not token or len(token) > 200:
            return None, None
        # Constant time: the lookup is by SHA-256 of the token, so how long the
        # index search takes depends on a digest the caller cannot steer
        # towards a stored one (preimage resistance); no comparison ever runs
        # on the secret itself, and the final check is compare_digest.
        digest = cls.digest_of(token)
        row = db.session.scalar(select(cls).where(cls.digest == digest))
        if row is None or not hmac.compare_digest(row.digest, digest):
            return None, None
        return cls._owner(row)

    @classmethod
    def resolve_session(cls, token: str | None) -> "LiveSession | None":
        """What a WebSocket handshake needs of a token, in one query on the
        driver (``driversql``) and no ORM objects: the session (its id,
        user_id and expires_at) when it is live and its user active, else
        None. The same rules as ``resolve``. On a connection of its own,
        back in the pool at once: through the request's database session the
        same read cost nearly twice as much (79 against 45 us on SQLite)."""
        if not token or len(token) > 200:
            return None
        digest = cls.digest_of(token)
        with db.engine.connect() as conn:
            found = driversql.rows(conn, "resolve_session", _RESOLVE_SESSION, {"digest": digest, "now": utcnow()})
        if not found or not hmac.compare_digest(found[0][2], digest):
            return None
        return LiveSession(*found[0])

    @classmethod
    def resolve_cookie_session(cls, session_id: object, cookie_key: object) -> "LiveSession | None":
        """``resolve_cookie``'s rule for a WebSocket handshake, in one query on
        the driver (as ``resolve_session`` for a token): the live session a
        cookie names, of an active user, when the cookie's secret is its own
        (a LiveSession whose ``digest`` is the cookie's), else None."""
        if type(session_id) is not int or not isinstance(cookie_key, str) or not cookie_key or len(cookie_key) > 200:
            return None
        if not 0 < session_id < 2**63:
            return None
        with db.engine.connect() as conn:
            found = driversql.rows(conn, "resolve_cookie", _RESOLVE_COOKIE, {"id": session_id, "now": utcnow()})
        if not found or found[0][2] is None or not hmac.compare_digest(found[0][2], cls.digest_of(cookie_key)):
            return None
        return LiveSession(*found[0])

    @classmethod
    def resolve_cookie(cls, session_id: object, cookie_key: object) -> tuple[UserBasic | None, "AuthToken | None"]:
        """The (user, row) of the session a cookie names, or (None, None) when
        the session has ended or the cookie's secret is not its own."""
        if type(session_id) is not int or not isinstance(cookie_key, str) or not cookie_key or len(cookie_key) > 200:
            return None, None
        if not 0 < session_id < 2**63:
            return None, None
        row = db.session.get(cls, session_id)
        if row is None or row.cookie_digest is None:
            return None, None
        if not hmac.compare_digest(row.cookie_digest, cls.digest_of(cookie_key)):
            return None, None
        return cls._owner(row)

    @staticmethod
    def _owner(row: "AuthToken") -> tuple[UserBasic | None, "AuthToken | None"]:
        if not row.is_live():
            return None, None
        user = UserBasic.get_active(row.user_id)
        if user is None:
            return None, None
        return user, row

    @classmethod
    def revoke(cls, token_id: int | None) -> None:
        if token_id is None:
            return
        db.session.execute(db.update(cls).where(cls.id == token_id).values(revoked=True))
        db.session.commit()

    @classmethod
    def revoke_others(cls, user_id: int, keep: int | None = None) -> tuple[int, int | None]:
        """End every session of ``user_id`` but ``keep``. Returns how many
        were still live, and the highest id ended (None when none was)."""
        where = [cls.user_id == user_id, cls.revoked.is_(False)]
        if keep is not None:
            where.append(cls.id != keep)
        rows = db.session.execute(select(cls.id, cls.expires_at).where(*where)).all()
        if not rows:
            db.session.commit()
            return 0, None
        up_to = max(row.id for row in rows)
        # Bounded by up_to: a login that commits meanwhile is a new session and stays.
        db.session.execute(db.update(cls).where(*where, cls.id <= up_to).values(revoked=True))
        db.session.commit()
        now = utcnow()
        return sum(1 for row in rows if row.expires_at >= now), up_to

    @classmethod
    def ended_among(cls, ids: Iterable[int]) -> set[int]:
        """The ids among ``ids`` whose sessions have ended (revoked, expired or gone)."""
        ids = set(ids)
        if not ids:
            return set()
        live = db.session.scalars(select(cls.id).where(cls.id.in_(ids), *cls.live())).all()
        return ids - set(live)


class LiveSession(NamedTuple):
    """A live session as ``AuthToken.resolve_session`` reads it."""

    id: int
    user_id: int
    digest: str
    expires_at: datetime


_RESOLVE_COOKIE = driversql.core_statement(
    lambda: AuthToken.usable(
        AuthToken.id, AuthToken.user_id, AuthToken.cookie_digest, AuthToken.expires_at, now=bindparam("now")
    ).where(AuthToken.id == bindparam("id"))
)
_RESOLVE_SESSION = driversql.core_statement(
    lambda: AuthToken.usable(
        AuthToken.id, AuthToken.user_id, AuthToken.digest, AuthToken.expires_at, now=bindparam("now")
    ).where(AuthToken.digest == bindparam("digest"))
)
