"""Uploads in SQL and files of any type (issue 16, items 7 and 8).

- upload: one row per stored upload (its kind, detected type, the sender's
  sanitised file name, size, sha256); rows of uploads made before this
  revision do not exist, and those are still served from UPLOAD_FOLDER.
- upload_chunk: the bytes, in chunks of at most 1 MiB, when UPLOAD_STORAGE
  is db (LONGBLOB on MariaDB, bytea on PostgreSQL, BLOB on SQLite).
- message.file_info: a Media 5 (file) message's name, size and type as JSON
  (NULL for every other message).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def upgrade():
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "upload" not in tables:
        op.create_table(
            "upload",
            sa.Column("name", sa.String(48), nullable=False),
            sa.Column("kind", sa.String(8), nullable=False),
            sa.Column("mime", sa.String(127), nullable=False),
            sa.Column("file_name", sa.String(255), nullable=False),
            sa.Column("size", sa.BigInteger(), nullable=False),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("owner_id", sa.Integer(), nullable=True),
            sa.Column("create_time", sa.BigInteger(), nullable=False),
            sa.Column("in_db", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )
    if "upload_chunk" not in tables:
        op.create_table(
            "upload_chunk",
            sa.Column("name", sa.String(48), nullable=False),
            sa.Column("n", sa.Integer(), nullable=False),
            sa.Column("data", BLOB, nullable=False),
            sa.PrimaryKeyConstraint("name", "n", name="pk_upload_chunk"),
        )
    if "file_info" not in {c["name"] for c in inspector.get_columns("message")}:
        op.add_column("message", sa.Column("file_info", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("message") as batch:
        batch.drop_column("file_info")
    op.drop_table("upload_chunk")
    op.drop_table("upload")
