"""widget: conversation origin (chat or offline form), agent photos, visitor events

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sitechat.db.base import UTCDateTime

# Frozen here: a later change to the models' types must not rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=20), nullable=False, server_default="chat"))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_url", sa.String(length=500), nullable=True))
    op.create_table(
        "visitor_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("visitor_id", sa.String(length=40), nullable=False),
        sa.Column("website_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("event_data", JSON_T, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitors.id"],
            name=op.f("fk_visitor_events_visitor_id_visitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
            name=op.f("fk_visitor_events_website_id_websites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_events")),
    )
    op.create_index("ix_visitor_events_type", "visitor_events", ["event_type"])
    op.create_index("ix_visitor_events_visitor_created", "visitor_events", ["visitor_id", "created_at"])
    op.create_index(op.f("ix_visitor_events_website_id"), "visitor_events", ["website_id"])


def downgrade() -> None:
    op.drop_table("visitor_events")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("avatar_url")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("origin")
