"""What the tables share: stored times (naive UTC) and how the API gives
them, the lookup-key column types of names, the prefix match their indexes
answer, and committing a row whose unique name or key another request may
have taken first."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, select, text
from sqlalchemy.dialects.mysql import VARCHAR
from sqlalchemy.exc import IntegrityError

from ginchat.errors import conflict
from ginchat.extensions import db
from ginchat.utils.names import DISPLAY_KEY_MAX, WORDS_MAX, name_key


def utcnow() -> datetime:
    """Now as stored: a naive UTC time (every DateTime column holds UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc_ms(when: datetime | None) -> int:
    """A stored time as the API gives every time: Unix milliseconds. A naive
    time is UTC (``datetime.timestamp`` would read it as the server's local time)."""
    if when is None:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def commit_or_conflict(message: str) -> None:
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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_BYTE_ORDER = {"c", "posix", "c.utf-8", "c.utf8"}
_pg_byte_order: dict[str, bool] = {}  # engine url -> does the database compare strings byte by byte?


def _pg_sorts_bytes(bind: Any) -> bool:
    key = str(bind.engine.url)
    if key not in _pg_byte_order:
        collation = db.session.scalar(text("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        _pg_byte_order[key] = str(collation or "").lower() in _BYTE_ORDER
    return _pg_byte_order[key]


def starts_with(column: Any, key: str) -> ColumnElement[bool]:
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


def commit_name(model: Any, name: str, taken: str, lookalike: str, then: Callable[[], None] | None = None) -> None:
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
