"""Uploads in SQL: what each stored upload is (every storage mode), and its
bytes when UPLOAD_STORAGE is ``db`` (so every node sharing the database reads
them, with no shared folder).

The bytes are cut into chunks of at most CHUNK_BYTES: no statement carries
more than one chunk, so MariaDB's max_allowed_packet (16 MiB by default, 4 MiB
on old servers; a chunk is escaped to at most twice its size) never limits
MAX_UPLOAD_MB, and a Range request reads only the chunks it needs.
Downloads read them a piece at a time (``pieces``).
"""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Select,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import mysql

from ginchat.extensions import db

CHUNK_BYTES = 1024 * 1024
# A download is read from SQL and sent in pieces of at most this many bytes:
# a slow reader holds one piece, not the file (issue 24, item 5).
PIECE_BYTES = 128 * 1024
# BLOB on MariaDB holds 64 KiB: LONGBLOB there; bytea on PostgreSQL; BLOB on SQLite.
BLOB = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")

upload_table = Table(
    "upload",
    db.metadata,
    # The server-made name, <uuid4 hex>.<ext>: the last part of /uploads/<name>.
    Column("name", String(48), primary_key=True),
    Column("kind", String(8), nullable=False),  # image, voice or file
    Column("mime", String(127), nullable=False),  # the type detected (shown; files are served as downloads)
    Column("file_name", String(255), nullable=False, default=""),  # the sender's name, sanitised (files)
    Column("size", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),  # sha256 hex of the bytes: the ETag
    Column("owner_id", Integer, nullable=True),
    Column("create_time", BigInteger, nullable=False),
    Column("in_db", Integer, nullable=False, default=0),  # 1: the bytes are in upload_chunk
)

upload_chunk = Table(
    "upload_chunk",
    db.metadata,
    Column("name", String(48), nullable=False),
    Column("n", Integer, nullable=False),
    Column("data", BLOB, nullable=False),
    PrimaryKeyConstraint("name", "n", name="pk_upload_chunk"),
)


def record(row: dict[str, Any], data_path: str | None = None) -> None:
    """Store an upload's row and, given ``data_path``, its bytes as chunks
    (no commit)."""
    session = db.session
    session.execute(insert(upload_table).values(**row, in_db=1 if data_path else 0))
    if data_path:
        with open(data_path, "rb") as fh:
            n = 0
            while True:
                data = fh.read(CHUNK_BYTES)
                if not data:
                    break
                # One statement per chunk: the packet limit is never near.
                session.execute(insert(upload_chunk).values(name=row["name"], n=n, data=data))
                n += 1


def select_by_name(name: str) -> Select[Any]:
    """The query for upload ``name``'s row."""
    return select(upload_table).where(upload_table.c.name == name)


def pieces(engine: Engine, name: str, start: int, end: int, piece: int = PIECE_BYTES) -> Iterator[bytes]:
    """Bytes ``start`` up to ``end`` (exclusive) of an upload stored in SQL,
    as pieces of at most ``piece`` bytes. Each piece is one statement on a
    connection taken from ``engine``'s pool for that statement only: a slow
    reader holds neither a connection nor more than one piece between reads.
    Stops early if the upload is deleted meanwhile."""
    pos = start
    while pos < end:
        n, offset = divmod(pos, CHUNK_BYTES)
        length = min(piece, end - pos, CHUNK_BYTES - offset)
        # substr counts from 1, on BLOB (SQLite), LONGBLOB (MariaDB) and bytea (PostgreSQL) alike.
        part = func.substr(upload_chunk.c.data, offset + 1, length, type_=LargeBinary)
        query = select(part).where(upload_chunk.c.name == name, upload_chunk.c.n == n)
        with engine.connect() as conn:
            data = conn.scalar(query)
        if not data:
            return
        yield bytes(data)
        pos += len(data)


def forget(name: str) -> None:
    """Remove the upload's row and chunks (no commit)."""
    db.session.execute(delete(upload_chunk).where(upload_chunk.c.name == name))
    db.session.execute(delete(upload_table).where(upload_table.c.name == name))


def count_in_db() -> int:
    return db.session.scalar(select(func.count()).select_from(upload_table).where(upload_table.c.in_db == 1)) or 0
