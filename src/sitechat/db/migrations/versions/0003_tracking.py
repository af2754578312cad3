"""tracking: visitor sessions and page views, verified identity (visitors, website secret)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sitechat.db.base import UTCDateTime

# Frozen here: a later change to the models' types must not rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("websites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_secret", sa.String(length=255), nullable=True))
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("company", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("user_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint("uq_visitors_website_user", ["website_id", "user_id"])
    op.create_table(
        "visitor_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("visitor_id", sa.String(length=40), nullable=False),
        sa.Column("website_id", sa.String(length=40), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("location", JSON_T, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=1024), nullable=True),
        sa.Column("device", JSON_T, nullable=False),
        sa.Column("referrer", sa.String(length=2048), nullable=True),
        sa.Column("landing_page", sa.String(length=2048), nullable=True),
        sa.Column("source_class", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("campaign", JSON_T, nullable=False),
        sa.Column("campaign_key", sa.String(length=500), nullable=True),
        sa.Column("page_views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitors.id"],
            name=op.f("fk_visitor_sessions_visitor_id_visitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["website_id"],
            ["websites.id"],
            name=op.f("fk_visitor_sessions_website_id_websites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_sessions")),
    )
    op.create_index("idx_visitor_sessions_ip", "visitor_sessions", ["ip_address"])
    op.create_index("ix_visitor_sessions_visitor_started", "visitor_sessions", ["visitor_id", "started_at"])
    op.create_index(
        "ix_visitor_sessions_website_last_seen", "visitor_sessions", ["website_id", "last_seen_at"]
    )
    op.create_table(
        "page_views",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("visitor_id", sa.String(length=40), nullable=False),
        sa.Column("client_pv", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["visitor_sessions.id"],
            name=op.f("fk_page_views_session_id_visitor_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitors.id"],
            name=op.f("fk_page_views_visitor_id_visitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_views")),
        sa.UniqueConstraint("session_id", "client_pv", name="uq_page_views_session_pv"),
    )
    op.create_index("ix_page_views_visitor_started", "page_views", ["visitor_id", "started_at"])


def downgrade() -> None:
    op.drop_table("page_views")
    op.drop_table("visitor_sessions")
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.drop_constraint("uq_visitors_website_user", type_="unique")
        batch_op.drop_column("verified")
        batch_op.drop_column("user_id")
        batch_op.drop_column("company")
    with op.batch_alter_table("websites", schema=None) as batch_op:
        batch_op.drop_column("identity_secret")
