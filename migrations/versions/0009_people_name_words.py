"""The people search finds a person by any word of their name or display
name, by any part of a CJK name, and a Chinese name by its pinyin.

- user_basic.name_words: the words of each account (utils.names.name_words),
  filled here for the accounts that exist, kept by the app from then on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from ginchat.utils.names import WORDS_MAX, name_words  # why: the words the app computes, for existing accounts

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WORDS = sa.String(WORDS_MAX).with_variant(mysql.VARCHAR(WORDS_MAX, collation="utf8mb4_bin"), "mysql", "mariadb")


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("user_basic")}
    if "name_words" in columns:
        return
    op.add_column("user_basic", sa.Column("name_words", WORDS, nullable=False, server_default=sa.text("''")))
    bind = op.get_bind()
    users = sa.table(
        "user_basic",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("display_name", sa.String),
        sa.column("name_words", sa.String),
    )
    found = bind.execute(sa.select(users.c.id, users.c.name, users.c.display_name)).all()
    for user_id, name, display_name in found:
        words = name_words(name or "", display_name or "")
        bind.execute(sa.update(users).where(users.c.id == user_id).values(name_words=words))


def downgrade():
    with op.batch_alter_table("user_basic") as batch:
        batch.drop_column("name_words")
