"""Search finds words inside Chinese, Japanese and Korean text.

A run of CJK characters is one word to every engine's tokenizer, so a word
inside a sentence could not be found. Now:

- message.search_text: for a text with CJK in it, its words with each CJK
  run written as overlapping pairs of characters (utils.cjk.search_text);
  NULL for every other text. Filled here for the messages stored before.
- The indexes take search_text where it is set, the content elsewhere:
  SQLite's FTS5 view and triggers read coalesce(search_text, content);
  MariaDB's FULLTEXT index covers (content, search_text); PostgreSQL's GIN
  index is on to_tsvector('simple', coalesce(search_text, content)), still
  without the pending list (0008).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from ginchat.utils.cjk import search_text  # why: the tokens the app computes, for messages stored before

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 5000
READERS = "CASE {row}.type WHEN 1 THEN 'u' || {row}.user_id || ' u' || {row}.target_id ELSE 'g' || {row}.target_id END"


DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_update",
    "DROP TABLE IF EXISTS message_fts",
    "DROP VIEW IF EXISTS message_search",
]


def create_sqlite(with_search_text):
    """The FTS5 table over the view message_search, whose content is the
    search text where a message has one (or, before this revision, the content)."""

    def text_of(row):
        return f"coalesce({row}.search_text, {row}.content)" if with_search_text else f"{row}.content"

    columns = (
        "content, search_text, type, user_id, target_id" if with_search_text else "content, type, user_id, target_id"
    )
    new, old = READERS.format(row="new"), READERS.format(row="old")
    return [
        f"CREATE VIEW message_search AS SELECT id, {text_of('message')} AS content, "
        f"{READERS.format(row='message')} AS readers FROM message",
        "CREATE VIRTUAL TABLE message_fts USING fts5(content, readers, content='message_search', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN "
        f"INSERT INTO message_fts (rowid, content, readers) VALUES (new.id, {text_of('new')}, {new}); END",
        "CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN "
        "INSERT INTO message_fts (message_fts, rowid, content, readers) "
        f"VALUES ('delete', old.id, {text_of('old')}, {old}); END",
        f"CREATE TRIGGER message_fts_update AFTER UPDATE OF {columns} ON message BEGIN "
        "INSERT INTO message_fts (message_fts, rowid, content, readers) "
        f"VALUES ('delete', old.id, {text_of('old')}, {old}); "
        f"INSERT INTO message_fts (rowid, content, readers) VALUES (new.id, {text_of('new')}, {new}); END",
        "INSERT INTO message_fts (message_fts) VALUES ('rebuild')",
    ]


def fill_search_text():
    """search_text for every stored message with CJK in it, a batch at a time."""
    bind = op.get_bind()
    messages = sa.table("message", sa.column("id", sa.BigInteger), sa.column("content", sa.Text))
    last = 0
    while True:
        query = sa.select(messages.c.id, messages.c.content).where(messages.c.id > last)
        found = bind.execute(query.order_by(messages.c.id).limit(BATCH)).all()
        if not found:
            return
        updates = [{"key": i, "text": search_text(content)} for i, content in found if search_text(content)]
        if updates:
            statement = sa.text("UPDATE message SET search_text = :text WHERE id = :key")
            bind.execute(statement, updates)
        last = found[-1][0]


def _mysql_index_columns():
    found = op.get_bind().execute(
        sa.text(
            "SELECT column_name FROM information_schema.statistics WHERE table_schema = DATABASE() "
            "AND table_name = 'message' AND index_name = 'ix_message_content_ft'"
        )
    )
    return {str(name).lower() for (name,) in found}


def upgrade():
    dialect = op.get_context().dialect.name
    if "search_text" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("message")}:
        op.add_column("message", sa.Column("search_text", sa.Text(), nullable=True))
    fill_search_text()
    if dialect == "sqlite":
        for statement in DROP_SQLITE + create_sqlite(with_search_text=True):
            op.execute(statement)
    elif dialect in ("mysql", "mariadb"):
        have = _mysql_index_columns()
        if have != {"content", "search_text"}:
            if have:
                op.execute("ALTER TABLE message DROP INDEX ix_message_content_ft")
            op.execute("ALTER TABLE message ADD FULLTEXT INDEX ix_message_content_ft (content, search_text)")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_message_content_tsv")
        op.execute(
            "CREATE INDEX ix_message_content_tsv ON message "
            "USING gin (to_tsvector('simple'::regconfig, coalesce(search_text, content))) WITH (fastupdate = off)"
        )


def downgrade():
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in DROP_SQLITE:
            op.execute(statement)
    elif dialect in ("mysql", "mariadb"):
        op.execute("ALTER TABLE message DROP INDEX ix_message_content_ft")
        op.execute("ALTER TABLE message ADD FULLTEXT INDEX ix_message_content_ft (content)")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_message_content_tsv")
        op.execute(
            "CREATE INDEX ix_message_content_tsv ON message "
            "USING gin (to_tsvector('simple'::regconfig, content)) WITH (fastupdate = off)"
        )
    with op.batch_alter_table("message") as batch:
        batch.drop_column("search_text")
    if dialect == "sqlite":
        for statement in create_sqlite(with_search_text=False):
            op.execute(statement)
