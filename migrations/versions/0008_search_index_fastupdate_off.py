"""PostgreSQL: the message search index without GIN's pending list.

With ``fastupdate`` on (PostgreSQL's default), a GIN index gathers new
entries in a pending list, and the insert that finds the list past
``gin_pending_list_limit`` (4 MB) merges all of it into the index before
it commits. For the message store that is one commit of about 100 ms every
ten seconds or so at 2,000 messages a second, holding every message queued
behind it: it was the stall at the tail of PostgreSQL's latency in the
bench (issue 17). With ``fastupdate`` off each insert updates the index
itself, a little more work spread evenly. What the list holds now is merged
at once. Nothing changes on SQLite or MariaDB.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEX = "ix_message_content_tsv"


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX IF EXISTS {INDEX} SET (fastupdate = off)")
    op.execute(f"SELECT gin_clean_pending_list(to_regclass('{INDEX}')) WHERE to_regclass('{INDEX}') IS NOT NULL")


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX IF EXISTS {INDEX} RESET (fastupdate)")
