"""Login cookies, look-alike names, group settings and member rows, and ids
that SQLite never hands out twice.

- auth_token.cookie_digest: the digest of the browser cookie a login issued.
- user_basic.name_skeleton, communities.name_skeleton: the TR39 skeleton of
  the name, unique, so no two accounts (or groups) have names that pass for
  each other; existing rows get skeleton(name).
- communities.policy / history / who_may_add: existing groups stay open, with
  all their history, and every member may add people, as before.
- contact.role / join_id / history_id: existing members are plain members who
  read the whole history.
- SQLite: every table whose integer key the database generates is rebuilt
  with AUTOINCREMENT, so a deleted row's id (a dissolved group's, with its
  history) never goes to a new row. MariaDB's InnoDB and PostgreSQL's
  sequences never go back already.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from ginchat.utils.names import skeleton  # why: the skeleton the app computes, for existing names

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NAME_KEY = sa.String(64).with_variant(mysql.VARCHAR(64, collation="utf8mb4_bin"), "mysql", "mariadb")
# The tables whose one integer key the database generates.
GENERATED_IDS = ("user_basic", "auth_token", "communities", "contact", "friend_request", "user_block")
NAMED = ("user_basic", "communities")


def unique_name(table, column):
    """The name ``create_all`` gives a one-column unique constraint, so the
    migrated schema and a new one are alike (SQLite's are unnamed; a name only
    says what the constraint is for)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return f"{table}_{column}_key"
    if dialect in ("mysql", "mariadb"):
        return column
    return f"uq_{table}_{column}"


def fill_skeletons(table):
    """skeleton(name) for every row; a name whose skeleton an older row has
    already keeps its name and gets a skeleton of its own (the id appended),
    so the upgrade never fails on names registered before the check existed."""
    bind = op.get_bind()
    rows = sa.table(
        table, sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_skeleton", sa.String)
    )
    seen = set()
    for row_id, name in bind.execute(sa.select(rows.c.id, rows.c.name).order_by(rows.c.id)).all():
        value = skeleton(name or "")[:64] or f"#{row_id}"
        if value in seen:
            log.warning("%s %s: the name %r passes for an older one; it keeps its name", table, row_id, name)
            value = f"{value[:40]}#{row_id}"
        seen.add(value)
        bind.execute(sa.update(rows).where(rows.c.id == row_id).values(name_skeleton=value))


def add_column(table, column):
    """Add ``column`` unless a build between the release and migrations made it
    already (create_all, or the start-up ALTER that builds ran). True when added."""
    if column.name in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}:
        return False
    op.add_column(table, column)
    return True


def upgrade():
    if op.get_context().as_sql:
        raise RuntimeError("this revision reads the rows (names) and the tables it rebuilds: run it on a database")
    add_column("auth_token", sa.Column("cookie_digest", sa.String(64), nullable=True))
    new_skeletons = {table for table in NAMED if add_column(table, sa.Column("name_skeleton", NAME_KEY, nullable=True))}
    add_column("communities", sa.Column("policy", sa.String(8), nullable=False, server_default="open"))
    add_column("communities", sa.Column("history", sa.String(8), nullable=False, server_default="all"))
    add_column("communities", sa.Column("who_may_add", sa.String(8), nullable=False, server_default="members"))
    add_column("contact", sa.Column("role", sa.SmallInteger(), nullable=False, server_default="0"))
    add_column("contact", sa.Column("join_id", ID, nullable=False, server_default="0"))
    add_column("contact", sa.Column("history_id", ID, nullable=False, server_default="0"))
    for table in new_skeletons:
        fill_skeletons(table)
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in GENERATED_IDS:
        # SQLite rebuilds each table (copying its rows; sqlite_sequence starts
        # at the largest id); elsewhere these are plain ALTERs, or nothing.
        with op.batch_alter_table(
            table, recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            if table in new_skeletons:
                batch.alter_column("name_skeleton", existing_type=NAME_KEY, nullable=False)
                batch.create_unique_constraint(unique_name(table, "name_skeleton"), ["name_skeleton"])


def downgrade():
    drops = {
        "auth_token": ("cookie_digest",),
        "user_basic": ("name_skeleton",),
        "communities": ("name_skeleton", "policy", "history", "who_may_add"),
        "contact": ("role", "join_id", "history_id"),
    }
    for table, columns in drops.items():
        with op.batch_alter_table(table) as batch:
            if table in NAMED:
                batch.drop_constraint(unique_name(table, "name_skeleton"), type_="unique")
            for column in columns:
                batch.drop_column(column)
