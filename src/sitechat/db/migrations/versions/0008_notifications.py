"""notifications: agent preferences, push subscriptions, unanswered alerts

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sitechat.db.base import UTCDateTime

# Frozen here: a later change to the models' types must not rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_prefs",
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("prefs", JSON_T, nullable=True),
        sa.Column("muted_until", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_notification_prefs_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_notification_prefs")),
    )
    op.create_table(
        "notification_conversation_mutes",
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_notification_conversation_mutes_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_notification_conversation_mutes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "agent_id", "conversation_id", name=op.f("pk_notification_conversation_mutes")
        ),
    )
    op.create_index(
        op.f("ix_notification_conversation_mutes_conversation_id"),
        "notification_conversation_mutes",
        ["conversation_id"],
    )
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_push_subscriptions_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index(op.f("ix_push_subscriptions_agent_id"), "push_subscriptions", ["agent_id"])
    op.create_table(
        "notification_unanswered",
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("website_id", sa.String(length=40), nullable=False),
        sa.Column("since_seq", sa.Integer(), nullable=False),
        sa.Column("since_at", UTCDateTime(), nullable=False),
        sa.Column("emailed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_notification_unanswered_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
            name=op.f("fk_notification_unanswered_website_id_websites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_notification_unanswered")),
    )
    op.create_index("ix_notification_unanswered_due", "notification_unanswered", ["emailed_at", "since_at"])
    op.create_index(op.f("ix_notification_unanswered_website_id"), "notification_unanswered", ["website_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_unanswered_website_id"), table_name="notification_unanswered")
    op.drop_index("ix_notification_unanswered_due", table_name="notification_unanswered")
    op.drop_table("notification_unanswered")
    op.drop_index(op.f("ix_push_subscriptions_agent_id"), table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    op.drop_index(
        op.f("ix_notification_conversation_mutes_conversation_id"),
        table_name="notification_conversation_mutes",
    )
    op.drop_table("notification_conversation_mutes")
    op.drop_table("notification_prefs")
