"""Full-text search over message text, with each database's own engine.

- SQLite: an FTS5 table ``message_fts`` whose external content is the view
  ``message_search`` (the message's text and its readers: ``u<id> u<id>``
  for a private message, ``g<id>`` for a group's), kept current by
  triggers on insert, update and delete. The readers column lets one MATCH
  find a person's readable messages without scanning anyone else's.
- MariaDB/MySQL: a FULLTEXT index on message.content (InnoDB).
- PostgreSQL: a GIN index on to_tsvector('simple', content) ('simple': no
  stemming and no stop words, so names and code match as typed).

Recall blanks the content in place and an edit rewrites it: the triggers and
the indexes follow both. None of these objects is in the models (they are
the engine's, not tables of ours): ginchat.models.search.in_models tells
Alembic's comparison to leave them out.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Who may read a message, as tokens: both people of a private message, the group of a group message.
READERS = "CASE {row}.type WHEN 1 THEN 'u' || {row}.user_id || ' u' || {row}.target_id ELSE 'g' || {row}.target_id END"

SQLITE_UP = [
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_update",
    "DROP TABLE IF EXISTS message_fts",
    "DROP VIEW IF EXISTS message_search",
    f"CREATE VIEW message_search AS SELECT id, content, {READERS.format(row='message')} AS readers FROM message",
    "CREATE VIRTUAL TABLE message_fts USING fts5(content, readers, content='message_search', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN "
    f"INSERT INTO message_fts (rowid, content, readers) VALUES (new.id, new.content, {READERS.format(row='new')}); "
    "END",
    "CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN "
    "INSERT INTO message_fts (message_fts, rowid, content, readers) "
    f"VALUES ('delete', old.id, old.content, {READERS.format(row='old')}); "
    "END",
    "CREATE TRIGGER message_fts_update AFTER UPDATE OF content, type, user_id, target_id ON message BEGIN "
    "INSERT INTO message_fts (message_fts, rowid, content, readers) "
    f"VALUES ('delete', old.id, old.content, {READERS.format(row='old')}); "
    f"INSERT INTO message_fts (rowid, content, readers) VALUES (new.id, new.content, {READERS.format(row='new')}); "
    "END",
    # The messages stored before this revision.
    "INSERT INTO message_fts (message_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_update",
    "DROP TABLE IF EXISTS message_fts",
    "DROP VIEW IF EXISTS message_search",
]


def upgrade():
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect in ("mysql", "mariadb"):
        # Like the other revisions, safe to run on a database that has it already
        # (one stamped back to an older revision and upgraded again).
        have = (
            op.get_bind()
            .execute(
                sa.text(
                    "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() "
                    "AND table_name = 'message' AND index_name = 'ix_message_content_ft'"
                )
            )
            .scalar()
        )
        if not have:
            op.execute("ALTER TABLE message ADD FULLTEXT INDEX ix_message_content_ft (content)")
    elif dialect == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_message_content_tsv ON message "
            "USING gin (to_tsvector('simple'::regconfig, content))"
        )


def downgrade():
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif dialect in ("mysql", "mariadb"):
        op.execute("ALTER TABLE message DROP INDEX ix_message_content_ft")
    elif dialect == "postgresql":
        op.execute("DROP INDEX ix_message_content_tsv")
