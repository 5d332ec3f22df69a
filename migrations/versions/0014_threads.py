"""Threads (issue 28 item 1, helper h7): a reply carries its root's Id.

- message.root_id (a reply's root), message.in_chat (1: the reply was also
  sent to the conversation), and on a root message.replies, last_reply and
  last_reply_time (its "N replies, last at" line without a query). All
  nullable without a default: adding them rewrites no row.
- ix_message_root_id (root_id, id): a thread's replies and unread counts;
  partial (root_id IS NOT NULL) on PostgreSQL and SQLite, so the messages
  that are no reply cost it nothing.
- thread_follow: per user and thread, following (1/0) and the read position.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID_TYPE = sa.BigInteger().with_variant(sa.Integer, "sqlite")
COLUMNS = [
    ("root_id", ID_TYPE),
    ("in_chat", sa.SmallInteger()),
    ("replies", sa.Integer()),
    ("last_reply", ID_TYPE),
    ("last_reply_time", sa.BigInteger()),
]


def upgrade():
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("message")}
    for name, kind in COLUMNS:
        if name not in have:  # a database made by create_all has them already
            op.add_column("message", sa.Column(name, kind, nullable=True))
    if "ix_message_root_id" not in {i["name"] for i in inspector.get_indexes("message")}:
        op.create_index(
            "ix_message_root_id",
            "message",
            ["root_id", "id"],
            postgresql_where=sa.text("root_id IS NOT NULL"),
            sqlite_where=sa.text("root_id IS NOT NULL"),
        )
    if not inspector.has_table("thread_follow"):
        op.create_table(
            "thread_follow",
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("root_id", ID_TYPE, nullable=False),
            sa.Column("conv", sa.String(24), nullable=False),
            sa.Column("following", sa.SmallInteger(), nullable=False),
            sa.Column("read_id", ID_TYPE, nullable=False),
            sa.PrimaryKeyConstraint("user_id", "root_id", name="pk_thread_follow"),
        )
        op.create_index("ix_thread_follow_root", "thread_follow", ["root_id"])
        op.create_index("ix_thread_follow_conv", "thread_follow", ["conv"])


def downgrade():
    op.drop_table("thread_follow")
    op.drop_index("ix_message_root_id", table_name="message")
    with op.batch_alter_table("message") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
