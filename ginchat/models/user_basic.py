"""Users (the Go project's models/user_basic.go) and their bearer tokens."""

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.mysql import VARCHAR
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ginchat.config import settings
from ginchat.errors import bad_request, conflict, forbidden, not_found, unauthorized
from ginchat.extensions import Model, db
from ginchat.models import driversql
from ginchat.utils.cjk import has_cjk
from ginchat.utils.names import (
    DISPLAY_KEY_MAX,
    WORDS_MAX,
    check_display_name,
    check_lookalikes,
    name_key,
    name_words,
    normal_form,
    skeleton,
)

NAME_RE = re.compile(r"^[^\s\x00-\x1f<>\"'&/\\]{1,32}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
EMAIL_RE = re.compile(
    r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?)+$"
)
MIN_PASSWORD = 6
MAX_PASSWORD = 128
ADMIN = "admin"


def utcnow():
    """Now as stored: a naive UTC time (every DateTime column holds UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc_ms(when):
    """A stored time as the API gives every time: Unix milliseconds. A naive
    time is UTC (``datetime.timestamp`` would read it as the server's local time)."""
    if when is None:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def commit_or_conflict(message):
    """Commit the session; a unique key that another request took first
    (the check before it raced) becomes a 409 with ``message``, and nothing
    of this request stays."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict(message) from None


# The lookup key of a name: case-folded, compared byte for byte on every
# database (MariaDB's default collation would also ignore accents).
NAME_KEY_TYPE = String(64).with_variant(VARCHAR(64, collation="utf8mb4_bin"), "mysql", "mariadb")
DISPLAY_KEY_TYPE = String(DISPLAY_KEY_MAX).with_variant(
    VARCHAR(DISPLAY_KEY_MAX, collation="utf8mb4_bin"), "mysql", "mariadb"
)
WORDS_TYPE = String(WORDS_MAX).with_variant(VARCHAR(WORDS_MAX, collation="utf8mb4_bin"), "mysql", "mariadb")
# The last character there is: every key that starts with a prefix sorts
# between the prefix and the prefix followed by it (in byte order).
_TOP = "\U0010ffff"


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_BYTE_ORDER = {"c", "posix", "c.utf-8", "c.utf8"}
_pg_byte_order = {}  # engine url -> does the database compare strings byte by byte?


def _pg_sorts_bytes(bind):
    key = str(bind.engine.url)
    if key not in _pg_byte_order:
        collation = db.session.scalar(text("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        _pg_byte_order[key] = str(collation or "").lower() in _BYTE_ORDER
    return _pg_byte_order[key]


def starts_with(column, key):
    """``column`` starts with ``key``, as the column's index can answer it.
    LIKE is right under any collation; MariaDB (utf8mb4_bin) turns a LIKE
    prefix into an index range itself. SQLite's LIKE ignores ASCII case and
    PostgreSQL plans LIKE on an index only in the plain C locale: both also
    get the range, which their index answers when strings compare byte by
    byte (always in SQLite; in PostgreSQL under C or C.UTF-8)."""
    bind = db.session.get_bind()
    like = column.like(_escape_like(key) + "%", escape="\\")
    if bind.dialect.name == "sqlite":
        return and_(column >= key, column < key + _TOP)
    if bind.dialect.name == "postgresql" and _pg_sorts_bytes(bind):
        return and_(column >= key, column < key + _TOP, like)
    return like


def check_name(name, what="name"):
    """The name as stored (NFKC), or a 400 saying what is wrong with it."""
    name = check_lookalikes(normal_form(name), what)
    if not NAME_RE.match(name):
        raise bad_request(f"{what} must be 1 to 32 characters without spaces, quotes, slashes or < > &")
    return name


def commit_name(model, name, taken, lookalike, then=None):
    """Commit a row whose name is new (``then``: what to add once it has its
    id); a name (``taken``) or a look-alike of one (``lookalike``) that another
    request stored first becomes a 409, and nothing of this request stays."""
    try:
        if then is not None:
            db.session.flush()
            then()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        same = db.session.scalar(select(model.id).where(model.name_key == name_key(name)))
        raise conflict(taken if same is not None else lookalike) from None


def check_password(password):
    if not password or len(password) < MIN_PASSWORD:
        raise bad_request(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise bad_request(f"password must have at most {MAX_PASSWORD} characters")
    return password


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
    def set_password(self, password):
        # werkzeug's scrypt (PASSWORD_HASH) with a per-user random salt.
        self.password = generate_password_hash(check_password(password), method=settings().password_hash)

    def verify_password(self, password):
        return bool(password) and check_password_hash(self.password, password)

    # --- what others may see -------------------------------------------
    def public(self, online=False, contact=False):
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
    def is_admin(self):
        return self.role == ADMIN

    @property
    def is_active(self):
        return self.deleted_at is None and self.deactivated_at is None

    # --- queries ----------------------------------------------------------
    @classmethod
    def live(cls):
        """The accounts neither deleted nor deactivated (the ones others see)."""
        return (cls.deleted_at.is_(None), cls.deactivated_at.is_(None))

    @classmethod
    def active(cls):
        return select(cls).where(*cls.live())

    @classmethod
    def get_active(cls, user_id):
        user = db.session.get(cls, user_id)
        if user is None or not user.is_active:
            return None
        return user

    @classmethod
    def get_existing(cls, user_id):
        """The account, deactivated or not (not deleted), or None."""
        user = db.session.get(cls, user_id)
        if user is None or user.deleted_at is not None:
            return None
        return user

    @classmethod
    def many(cls, user_ids):
        """The active users among ``user_ids``, in that order, in one query."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return []
        found = {u.id: u for u in db.session.scalars(cls.active().where(cls.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    @classmethod
    def existing_many(cls, user_ids):
        """The accounts among ``user_ids``, deactivated or not (not deleted),
        in that order, in one query."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return []
        rows = db.session.scalars(select(cls).where(cls.id.in_(ids), cls.deleted_at.is_(None)))
        found = {u.id: u for u in rows}
        return [found[i] for i in ids if i in found]

    @classmethod
    def find_by_name(cls, name):
        return db.session.scalar(cls.active().where(cls.name_key == name_key(name)))

    @classmethod
    def must_get(cls, user_id):
        user = cls.get_active(user_id)
        if user is None:
            raise not_found(f"no user with ID {user_id}")
        return user

    @classmethod
    def page(cls, page, size):
        total = db.session.scalar(select(func.count()).select_from(cls).where(*cls.live()))
        users = db.session.scalars(cls.active().order_by(cls.id).offset((page - 1) * size).limit(size)).all()
        return users, total

    @classmethod
    def search(cls, key, viewer_id, page, size, hidden=()):
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
        total = db.session.scalar(select(func.count()).select_from(cls).where(*where))
        users = db.session.scalars(
            select(cls).where(*where).order_by(cls.name_key, cls.id).offset((page - 1) * size).limit(size)
        ).all()
        return users, total

    @classmethod
    def directory(cls, viewer_id, page, size, hidden=()):
        """Every live account but ``viewer_id`` and ``hidden``, by display
        name (the name for those without one), a page at a time: (page, total)."""
        where = [*cls.live(), cls.id != viewer_id]
        if hidden:
            where.append(cls.id.not_in(sorted(hidden)))
        shown = case((cls.display_key != "", cls.display_key), else_=cls.name_key)
        total = db.session.scalar(select(func.count()).select_from(cls).where(*where))
        users = db.session.scalars(
            select(cls).where(*where).order_by(shown, cls.name_key, cls.id).offset((page - 1) * size).limit(size)
        ).all()
        return users, total

    # --- changes ----------------------------------------------------------
    def set_display_name(self, text):
        self.display_name = check_display_name(text)
        self.display_key = name_key(self.display_name)
        self.name_words = name_words(self.name or "", self.display_name)

    def set_name(self, name):
        self.name = check_name(name)
        self.name_key = name_key(self.name)
        self.name_words = name_words(self.name, self.display_name or "")
        self.name_skeleton = skeleton(self.name)

    def commit_name(self):
        commit_name(
            UserBasic,
            self.name,
            f"the name {self.name!r} is taken",
            f"the name {self.name!r} looks like the name of another account",
        )

    @classmethod
    def register(cls, name, password, display_name=""):
        user = cls()
        user.set_name(name)
        user.set_display_name(display_name or "")
        user.set_password(password)
        db.session.add(user)
        user.commit_name()
        return user

    @classmethod
    def authenticate(cls, name, password):
        user = None
        if name:
            query = select(cls).where(cls.deleted_at.is_(None), cls.name_key == name_key(name))
            user = db.session.scalar(query)
        if user is None or not user.verify_password(password):
            raise unauthorized("wrong name or password")
        if user.deactivated_at is not None:
            # Said only to whoever knows the password.
            raise forbidden("this account is deactivated; ask an administrator")
        return user

    def update_profile(self, name=None, password=None, phone=None, email=None, avatar=None, display_name=None):
        if name is not None and name != self.name:
            self.set_name(name)
        if display_name is not None:
            self.set_display_name(display_name)
        if password is not None:
            self.set_password(password)
        if phone is not None:
            if phone and not PHONE_RE.match(phone):
                raise bad_request("phone must be 6 to 20 digits, optionally with + - or spaces")
            self.phone = phone
        if email is not None:
            if email and not EMAIL_RE.match(email):
                raise bad_request("email is not a valid address")
            self.email = email
        if avatar is not None:
            self.avatar = avatar
        self.commit_name()
        return self

    def deactivate(self):
        self.deleted_at = utcnow()
        db.session.execute(db.update(AuthToken).where(AuthToken.user_id == self.id).values(revoked=True))
        db.session.commit()


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
    def digest_of(token):
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    @classmethod
    def issue(cls, user, ttl_days):
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

    def is_live(self):
        return not self.revoked and self.expires_at >= utcnow()

    @classmethod
    def live(cls, now=None):
        """``is_live`` as SQL conditions: neither revoked nor expired (at
        ``now``: a time, or a bind parameter; by default the present)."""
        return (cls.revoked.is_(False), cls.expires_at >= (utcnow() if now is None else now))

    @classmethod
    def usable(cls, *columns, now=None):
        """A select of ``columns`` over the sessions that can be used now:
        live, and of an active user (what ``resolve`` asks, in one query)."""
        return select(*columns).join(UserBasic, UserBasic.id == cls.user_id).where(*cls.live(now), *UserBasic.live())

    @classmethod
    def resolve(cls, token):
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
    def resolve_session(cls, token):
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
    def resolve_cookie_session(cls, session_id, cookie_key):
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
    def resolve_cookie(cls, session_id, cookie_key):
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
    def _owner(row):
        if not row.is_live():
            return None, None
        user = UserBasic.get_active(row.user_id)
        if user is None:
            return None, None
        return user, row

    @classmethod
    def revoke(cls, token_id):
        if token_id is None:
            return
        db.session.execute(db.update(cls).where(cls.id == token_id).values(revoked=True))
        db.session.commit()

    @classmethod
    def revoke_others(cls, user_id, keep=None):
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
    def ended_among(cls, ids):
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
