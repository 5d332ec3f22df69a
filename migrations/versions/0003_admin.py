"""Administrators: a role and a deactivation mark on accounts, the audit log
of administrators' actions, invitations and password-reset links.

- user_basic.role: "" for every existing account; the CLI's make-admin (or
  the first account of an empty database) makes an administrator.
- user_basic.deactivated_at: NULL (no account is deactivated).
- server_setting: settings an administrator changes at run time (REGISTRATION).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SQLITE_IDS = {"sqlite_autoincrement": True}  # a deleted row's id never goes to a new row


def upgrade():
    # A database stamped at 0001 after create_all may have all of it already.
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("user_basic")}
    if "role" not in have:
        op.add_column("user_basic", sa.Column("role", sa.String(16), nullable=False, server_default=sa.text("''")))
    if "deactivated_at" not in have:
        op.add_column("user_basic", sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    tables = set(inspector.get_table_names())
    if "admin_audit" not in tables:
        create_tables()
    if "server_setting" not in tables:
        op.create_table(
            "server_setting",
            sa.Column("key", sa.String(64), nullable=False),
            sa.Column("value", sa.String(255), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )


def create_tables():
    op.create_table(
        "admin_audit",
        sa.Column("id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("target_group_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        **SQLITE_IDS,
    )
    op.create_index("ix_admin_audit_created_at", "admin_audit", ["created_at"])
    op.create_table(
        "invitation",
        sa.Column("id", ID, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["user_basic.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        **SQLITE_IDS,
    )
    op.create_index("ix_invitation_created_by", "invitation", ["created_by"])
    op.create_table(
        "password_reset",
        sa.Column("id", ID, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_basic.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        **SQLITE_IDS,
    )
    op.create_index("ix_password_reset_user_id", "password_reset", ["user_id"])


def downgrade():
    op.drop_table("server_setting")
    op.drop_table("password_reset")
    op.drop_table("invitation")
    op.drop_table("admin_audit")
    with op.batch_alter_table("user_basic") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("role")
