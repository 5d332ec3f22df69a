"""The group notice in the message Id sequence (issue 28; helper h1):

- communities.notice_rev: the notice's place in the message Id sequence
  (each change takes the next Id), so that ``since`` replays it (Type 24);
- contact.notice_seen: the place of the notice a member has seen, so that
  "New" is the same on all their devices.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID_TYPE = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if "notice_rev" not in {c["name"] for c in inspector.get_columns("communities")}:
        op.add_column("communities", sa.Column("notice_rev", ID_TYPE, nullable=False, server_default="0"))
        op.create_index("ix_communities_notice_rev", "communities", ["notice_rev"])
    if "notice_seen" not in {c["name"] for c in inspector.get_columns("contact")}:
        op.add_column("contact", sa.Column("notice_seen", ID_TYPE, nullable=False, server_default="0"))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as 0015 does.
    op.drop_index("ix_communities_notice_rev", table_name="communities")
    op.drop_column("communities", "notice_rev")
    op.drop_column("contact", "notice_seen")
