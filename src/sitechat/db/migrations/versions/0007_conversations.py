"""conversations: internal notes, snooze, priority, read state per agent

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sitechat.db.base import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.String(length=10), nullable=False, server_default="normal")
        )
        batch_op.add_column(sa.Column("snoozed_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("visitor_seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_conversations_snoozed_until", ["snoozed_until"])
    # Before notes existed every message was the visitor's to see.
    op.execute("UPDATE conversations SET visitor_seq = last_seq")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Boolean(), nullable=False, server_default=sa.false()))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Message search (ILIKE '%…%') uses a trigram index where pg_trgm may be installed;
        # without the privilege it stays a scan bounded by the agent's websites
        # (docs/console.md, "Search"). The savepoint keeps a refusal from aborting the
        # migration's transaction.
        nested = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            bind.execute(
                sa.text(
                    "CREATE INDEX IF NOT EXISTS ix_messages_body_trgm ON messages "
                    "USING gin (body gin_trgm_ops)"
                )
            )
            nested.commit()
        except sa.exc.DBAPIError:
            nested.rollback()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_snoozed_until")
        batch_op.drop_column("visitor_seq")
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("priority")
