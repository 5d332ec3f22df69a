"""Tables (the Go project's models/)."""

import logging

from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from ginchat.extensions import db
from ginchat.models.community import Community
from ginchat.models.contact import Contact
from ginchat.models.message import message_table, msg_counter
from ginchat.models.block import Block
from ginchat.models.friend_request import FriendRequest
from ginchat.models import read_cursor  # noqa: F401  (the module: its table registers with the metadata)
from ginchat.models.user_basic import AuthToken, UserBasic

log = logging.getLogger("ginchat.models")


def generated_id_tables(metadata):
    """The tables whose one integer primary key the database generates."""
    found = []
    for table in metadata.tables.values():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].autoincrement is False or keys[0].foreign_keys:
            continue
        if keys[0].type.compile(dialect=sqlite.dialect()) == "INTEGER":
            found.append(table)
    return found


def never_reuse_ids(metadata):
    """Ids are never given twice: without AUTOINCREMENT SQLite hands a deleted
    row's id (the highest) to the next row, so a dissolved group's id, and its
    history, would go to the next group. MariaDB's InnoDB (10.2.4 on) and
    PostgreSQL's sequences never go back; message Ids come from msg_counter."""
    for table in generated_id_tables(metadata):
        table.dialect_kwargs["sqlite_autoincrement"] = True


def warn_reused_ids():
    """A SQLite file made before AUTOINCREMENT keeps its old tables (there is
    no migration yet): say which of them may still give an id twice."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        old = [
            table.name for table in generated_id_tables(db.metadata)
            if "AUTOINCREMENT" not in (conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": table.name}
            ).scalar() or "AUTOINCREMENT").upper()
        ]
    if old:
        log.warning("tables made by an older GinChat may give a deleted row's id to a new row: %s "
                    "(rebuild them, e.g. start from a new database file)", ", ".join(sorted(old)))


def create_tables():
    """Create missing tables and the message Id counter (safe on every start,
    and when several nodes start at once)."""
    never_reuse_ids(db.metadata)
    for attempt in range(3):
        try:
            db.create_all()
            break
        except (OperationalError, ProgrammingError) as exc:  # another node raced us
            db.session.rollback()
            if attempt == 2:
                raise
            log.info("create_all raced another node, retrying: %s", exc.__class__.__name__)
    warn_reused_ids()
    add_missing_columns()
    with db.engine.begin() as conn:
        if conn.execute(select(msg_counter.c.value).where(msg_counter.c.name == "message")).first():
            return
    try:
        with db.engine.begin() as conn:
            top = conn.execute(select(func.max(message_table.c.id))).scalar() or 0
            conn.execute(insert(msg_counter).values(name="message", value=top))
    except IntegrityError:
        pass


# Columns added to tables that older versions created: create_all makes
# missing tables only, so a database from before gets these here.
ADDED_COLUMNS = [(AuthToken.__table__, "cookie_digest")]


def add_missing_columns():
    for table, name in ADDED_COLUMNS:
        if name in {c["name"] for c in inspect(db.engine).get_columns(table.name)}:
            continue
        column = table.c[name]
        ddl = f"ALTER TABLE {table.name} ADD COLUMN {name} {column.type.compile(db.engine.dialect)}"
        try:
            with db.engine.begin() as conn:
                conn.execute(text(ddl))
            log.info("added column %s.%s", table.name, name)
        except (OperationalError, ProgrammingError):  # another node added it first
            if name not in {c["name"] for c in inspect(db.engine).get_columns(table.name)}:
                raise


__all__ = ["UserBasic", "AuthToken", "Contact", "Community", "Block", "FriendRequest", "message_table", "msg_counter",
           "create_tables"]
