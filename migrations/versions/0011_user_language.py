"""The interface language of each account (issue 26): user_basic.language,
"" for every existing account (follow the browser's Accept-Language).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("user_basic")}
    if "language" not in have:  # a database made by create_all has it already
        op.add_column("user_basic", sa.Column("language", sa.String(8), nullable=False, server_default=sa.text("''")))


def downgrade():
    with op.batch_alter_table("user_basic") as batch:
        batch.drop_column("language")
