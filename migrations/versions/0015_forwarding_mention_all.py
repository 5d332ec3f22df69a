"""Forwarding and @all (issue 28 items 3 and 4; helper h8):

- message.forward: a forwarded message's origin, or a chat record's card (JSON);
- message.mention_all: a group text's @all (1) or @here (2);
- message_record: the items of each chat record (forwarded messages merged
  into one), with an index on url for the upload check of a recall;
- communities.who_may_mention_all: members, admins (the default) or nobody.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID_TYPE = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade():
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    have = {c["name"] for c in inspector.get_columns("message")}
    if "forward" not in have:  # a database made by create_all has them already
        op.add_column("message", sa.Column("forward", sa.Text(), nullable=True))
    if "mention_all" not in have:
        op.add_column("message", sa.Column("mention_all", sa.SmallInteger(), nullable=True))
    if "who_may_mention_all" not in {c["name"] for c in inspector.get_columns("communities")}:
        op.add_column(
            "communities",
            sa.Column("who_may_mention_all", sa.String(8), nullable=False, server_default="admins"),
        )
    if not inspector.has_table("message_record"):
        op.create_table(
            "message_record",
            sa.Column("message_id", ID_TYPE, nullable=False),
            sa.Column("pos", sa.SmallInteger(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(64), nullable=False),
            sa.Column("create_time", sa.BigInteger(), nullable=False),
            sa.Column("media", sa.SmallInteger(), nullable=False),
            sa.Column("content", sa.Text(), nullable=False),
            sa.Column("url", sa.String(255), nullable=False),
            sa.Column("amount", sa.Integer(), nullable=False),
            sa.Column("file_info", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("message_id", "pos", name="pk_message_record"),
        )
        op.create_index("ix_message_record_url", "message_record", ["url"])


def downgrade():
    op.drop_index("ix_message_record_url", table_name="message_record")
    op.drop_table("message_record")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of
    # ``message`` would lose SQLite's full-text triggers (0012).
    op.drop_column("communities", "who_may_mention_all")
    op.drop_column("message", "mention_all")
    op.drop_column("message", "forward")
