"""Pinned and saved messages, announcement groups and group notices (issue 28).

- message_pin: a message pinned to its conversation; an unpin keeps the row
  (pinned 0); rev, indexed, is the Id-sequence place of its latest pin or
  unpin, which is how ``since`` replays them.
- saved_message: each user's own Saved list.
- communities.who_may_pin, who_may_write (members or admins: an
  announcement group), and the group notice: notice, notice_by, notice_time.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("communities")}
    with op.batch_alter_table("communities") as batch:
        if "who_may_pin" not in have:
            batch.add_column(sa.Column("who_may_pin", sa.String(8), nullable=False, server_default="members"))
        if "who_may_write" not in have:
            batch.add_column(sa.Column("who_may_write", sa.String(8), nullable=False, server_default="members"))
        if "notice" not in have:
            batch.add_column(sa.Column("notice", sa.Text(), nullable=True))
        if "notice_by" not in have:
            batch.add_column(sa.Column("notice_by", sa.Integer(), nullable=False, server_default="0"))
        if "notice_time" not in have:
            batch.add_column(sa.Column("notice_time", sa.BigInteger(), nullable=False, server_default="0"))
    tables = set(inspector.get_table_names())
    if "message_pin" not in tables:
        op.create_table(
            "message_pin",
            sa.Column("conv", sa.String(24), nullable=False),
            sa.Column("message_id", ID, nullable=False),
            sa.Column("type", sa.SmallInteger(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("target_id", sa.Integer(), nullable=False),
            sa.Column("pinned", sa.SmallInteger(), nullable=False),
            sa.Column("pinned_by", sa.Integer(), nullable=False),
            sa.Column("pin_time", sa.BigInteger(), nullable=False),
            sa.Column("rev", ID, nullable=False),
            sa.PrimaryKeyConstraint("conv", "message_id", name="pk_message_pin"),
        )
        op.create_index("ix_message_pin_rev", "message_pin", ["rev"])
    if "saved_message" not in tables:
        op.create_table(
            "saved_message",
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("message_id", ID, nullable=False),
            sa.Column("save_time", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("user_id", "message_id", name="pk_saved_message"),
        )
        op.create_index("ix_saved_message_user_time", "saved_message", ["user_id", "save_time"])


def downgrade():
    op.drop_table("saved_message")
    op.drop_table("message_pin")
    with op.batch_alter_table("communities") as batch:
        for name in ("notice_time", "notice_by", "notice", "who_may_write", "who_may_pin"):
            batch.drop_column(name)
