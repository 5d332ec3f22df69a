"""Display names and per-conversation mute.

- user_basic.display_name: shown instead of the name, which stays the unique
  handle; "" for every existing account (the name is shown, as before).
- user_basic.display_key: its lookup form for the people search, indexed.
- contact.muted: the owner muted that friend's or group's conversation;
  nothing is muted after the upgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DISPLAY_KEY = sa.String(128).with_variant(mysql.VARCHAR(128, collation="utf8mb4_bin"), "mysql", "mariadb")


def upgrade():
    inspector = sa.inspect(op.get_bind())
    users = {c["name"] for c in inspector.get_columns("user_basic")}
    if "display_name" not in users:
        op.add_column(
            "user_basic", sa.Column("display_name", sa.String(64), nullable=False, server_default=sa.text("''"))
        )
    if "display_key" not in users:
        op.add_column("user_basic", sa.Column("display_key", DISPLAY_KEY, nullable=False, server_default=sa.text("''")))
    if "ix_user_basic_display_key" not in {i["name"] for i in inspector.get_indexes("user_basic")}:
        op.create_index("ix_user_basic_display_key", "user_basic", ["display_key"])
    if "muted" not in {c["name"] for c in inspector.get_columns("contact")}:
        op.add_column("contact", sa.Column("muted", sa.SmallInteger(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("muted")
    op.drop_index("ix_user_basic_display_key", table_name="user_basic")
    with op.batch_alter_table("user_basic") as batch:
        batch.drop_column("display_key")
        batch.drop_column("display_name")
