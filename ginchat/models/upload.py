"""Uploads in SQL: what each stored upload is (every storage mode), and its
bytes when UPLOAD_STORAGE is ``db`` (so every node sharing the database reads
them, with no shared folder).

The bytes are cut into chunks of at most CHUNK_BYTES: no statement carries
more than one chunk, so MariaDB's max_allowed_packet (16 MiB by default, 4 MiB
on old servers; a chunk is escaped to at most twice its size) never limits
MAX_UPLOAD_MB, and a Range request reads only the chunks it needs.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
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


def record(row, data_path=None):
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


def select_by_name(name):
    """The query for upload ``name``'s row."""
    return select(upload_table).where(upload_table.c.name == name)


def read(name, start=0, end=None):
    """Bytes ``start`` up to ``end`` (exclusive; None: the end) of an upload
    stored in SQL, reading only the chunks that hold them."""
    first = start // CHUNK_BYTES
    query = select(upload_chunk.c.n, upload_chunk.c.data).where(upload_chunk.c.name == name, upload_chunk.c.n >= first)
    if end is not None:
        query = query.where(upload_chunk.c.n <= max(first, (end - 1) // CHUNK_BYTES))
    parts = [bytes(data) for _, data in db.session.execute(query.order_by(upload_chunk.c.n))]
    body = b"".join(parts)
    offset = start - first * CHUNK_BYTES
    return body[offset : None if end is None else offset + (end - start)]


def forget(name):
    """Remove the upload's row and chunks (no commit)."""
    db.session.execute(delete(upload_chunk).where(upload_chunk.c.name == name))
    db.session.execute(delete(upload_table).where(upload_table.c.name == name))


def count_in_db():
    return db.session.scalar(select(func.count()).select_from(upload_table).where(upload_table.c.in_db == 1))
