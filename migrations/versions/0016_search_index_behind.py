"""SQLite: the full-text index follows the message table from behind (issue 30).

The FTS5 index was kept by a trigger inside every message insert: a third
of the store's CPU per message and about a third of the pages each commit
appends to the log (BENCHMARKS.md). Now:

- message_fts_upto (one row): every message with an Id up to ``upto`` is in
  the index; the ones above it are not yet.
- No insert trigger. The message store indexes what is above the mark in
  batches, a few times a second (models/search_index.py), and a search
  indexes whatever is still above it before it runs, so it finds every
  stored message, one just sent included.
- The update and delete triggers keep working for the indexed messages
  only (Id up to the mark): an edit or a delete of one not yet indexed has
  nothing to take out, and the batch indexes its text as it is then.

MariaDB's and PostgreSQL's indexes are their servers' own: nothing changes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

READERS = "CASE {row}.type WHEN 1 THEN 'u' || {row}.user_id || ' u' || {row}.target_id ELSE 'g' || {row}.target_id END"
TEXT = "coalesce({row}.search_text, {row}.content)"
INDEXED = "old.id <= (SELECT upto FROM message_fts_upto)"


def _delete(row):
    return (
        "INSERT INTO message_fts (message_fts, rowid, content, readers) "
        f"VALUES ('delete', {row}.id, {TEXT.format(row=row)}, {READERS.format(row=row)});"
    )


def _insert(row):
    return (
        "INSERT INTO message_fts (rowid, content, readers) "
        f"VALUES ({row}.id, {TEXT.format(row=row)}, {READERS.format(row=row)});"
    )


DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_update",
]
UPDATED = "content, search_text, type, user_id, target_id"


def upgrade():
    if op.get_context().dialect.name != "sqlite":
        return
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.execute("DROP TABLE IF EXISTS message_fts_upto")
    op.execute("CREATE TABLE message_fts_upto (id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL)")
    # Every message stored so far went through the insert trigger.
    op.execute("INSERT INTO message_fts_upto (id, upto) SELECT 1, coalesce(max(id), 0) FROM message")
    op.execute(f"CREATE TRIGGER message_fts_delete AFTER DELETE ON message WHEN {INDEXED} BEGIN {_delete('old')} END")
    op.execute(
        f"CREATE TRIGGER message_fts_update AFTER UPDATE OF {UPDATED} ON message WHEN {INDEXED} "
        f"BEGIN {_delete('old')} {_insert('new')} END"
    )


def downgrade():
    if op.get_context().dialect.name != "sqlite":
        return
    # What is not indexed yet goes in first: the insert trigger covers new rows only.
    op.execute(
        "INSERT INTO message_fts (rowid, content, readers) SELECT id, content, readers FROM message_search "
        "WHERE id > (SELECT upto FROM message_fts_upto)"
    )
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.execute("DROP TABLE message_fts_upto")
    op.execute(f"CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN {_insert('new')} END")
    op.execute(f"CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN {_delete('old')} END")
    op.execute(
        f"CREATE TRIGGER message_fts_update AFTER UPDATE OF {UPDATED} ON message "
        f"BEGIN {_delete('old')} {_insert('new')} END"
    )
