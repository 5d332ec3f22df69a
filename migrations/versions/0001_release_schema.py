"""The schema of the last release before migrations: the tables that
``db.create_all`` made. A database made by such a build (no alembic_version
table) is stamped at this revision on start, then upgraded.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Ids: 64-bit where they may grow past 2**31, SQLite's INTEGER (64-bit already) there.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Name keys compare byte for byte on MariaDB (its default collation folds accents).
NAME_KEY = sa.String(64).with_variant(mysql.VARCHAR(64, collation="utf8mb4_bin"), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "user_basic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", NAME_KEY, nullable=False),
        sa.Column("password", sa.String(255), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("avatar", sa.String(255), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("login_time", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "auth_token",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_basic.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_auth_token_user_id", "auth_token", ["user_id"])
    op.create_table(
        "communities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", NAME_KEY, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("img", sa.String(255), nullable=False),
        sa.Column("desc", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_index("ix_communities_owner_id", "communities", ["owner_id"])
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("desc", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "target_id", "type", name="uq_contact_owner_target_type"),
    )
    op.create_index("ix_contact_target_type", "contact", ["target_id", "type"])
    op.create_table(
        "message",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("conv", sa.String(24), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.SmallInteger(), nullable=False),
        sa.Column("media", sa.SmallInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("client_msg_id", sa.String(64), nullable=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conv", "seq", name="uq_message_conv_seq"),
        sa.UniqueConstraint("user_id", "client_msg_id", name="uq_message_user_client_id"),
    )
    op.create_index("ix_message_conv_id", "message", ["conv", "id"])
    op.create_index("ix_message_type_target_id", "message", ["type", "target_id", "id"])
    op.create_index("ix_message_user_id", "message", ["user_id", "type", "id"])
    op.create_table(
        "msg_counter",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("value", ID, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "read_cursor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("conv", sa.String(24), nullable=False),
        sa.Column("msg_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "conv", name="pk_read_cursor"),
    )
    op.create_table(
        "friend_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("from_id", "to_id", name="uq_friend_request_pair"),
    )
    op.create_index("ix_friend_request_from_id", "friend_request", ["from_id"])
    op.create_index("ix_friend_request_to_id", "friend_request", ["to_id"])
    op.create_table(
        "user_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "target_id", name="uq_user_block_pair"),
    )
    op.create_index("ix_user_block_target_id", "user_block", ["target_id"])
    op.create_index("ix_user_block_user_id", "user_block", ["user_id"])


def downgrade():
    for table in (
        "user_block",
        "friend_request",
        "read_cursor",
        "msg_counter",
        "message",
        "contact",
        "communities",
        "auth_token",
        "user_basic",
    ):
        op.drop_table(table)
