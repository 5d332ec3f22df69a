"""Default groups (issue 27): the groups every new account joins.

- communities.is_default: 1 for a group every new account joins (made from
  DEFAULT_GROUPS at start, or marked by an administrator), 0 for the others.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("communities")}
    if "is_default" in columns:
        return
    op.add_column("communities", sa.Column("is_default", sa.SmallInteger(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("is_default")
