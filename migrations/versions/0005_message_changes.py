"""Edits, replies, reactions and mentions.

- message.reply_to: the Id of the message this one quotes (NULL: none).
- message.edited: when its text last changed, in ms (NULL: never).
- message.mentions: the mentioned members' ids, "3,7" (NULL: none).
- message.rev: the Id-sequence place of its latest change (an edit or a
  reaction), indexed: a reconnect with ``since`` replays the changes after it.
- message_reaction: who reacted with which emoji (compared byte for byte on
  MariaDB, whose usual collations weigh many emoji alike).
- message_mention: which member each message mentions (the Mentions view).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EMOJI = (
    sa.String(32)
    .with_variant(mysql.VARCHAR(32, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")
    .with_variant(mysql.VARCHAR(32, charset="utf8mb4", collation="utf8mb4_bin"), "mariadb")
)


def upgrade():
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("message")}
    with op.batch_alter_table("message") as batch:
        if "reply_to" not in have:
            batch.add_column(sa.Column("reply_to", ID, nullable=True))
        if "edited" not in have:
            batch.add_column(sa.Column("edited", sa.BigInteger(), nullable=True))
        if "mentions" not in have:
            batch.add_column(sa.Column("mentions", sa.String(255), nullable=True))
        if "rev" not in have:
            batch.add_column(sa.Column("rev", ID, nullable=True))
    if "ix_message_rev" not in {i["name"] for i in inspector.get_indexes("message")}:
        op.create_index("ix_message_rev", "message", ["rev"])
    tables = set(inspector.get_table_names())
    if "message_reaction" not in tables:
        op.create_table(
            "message_reaction",
            sa.Column("message_id", ID, nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("emoji", EMOJI, nullable=False),
            sa.Column("create_time", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("message_id", "user_id", "emoji", name="pk_message_reaction"),
        )
    if "message_mention" not in tables:
        op.create_table(
            "message_mention",
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("message_id", ID, nullable=False),
            sa.Column("conv", sa.String(24), nullable=False),
            sa.PrimaryKeyConstraint("user_id", "message_id", name="pk_message_mention"),
        )
        op.create_index("ix_message_mention_message", "message_mention", ["message_id"])


def downgrade():
    op.drop_table("message_mention")
    op.drop_table("message_reaction")
    op.drop_index("ix_message_rev", table_name="message")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("rev")
        batch.drop_column("mentions")
        batch.drop_column("edited")
        batch.drop_column("reply_to")
