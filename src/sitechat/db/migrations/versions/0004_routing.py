"""routing: teams with skills, agent capacity and status, conversation queue

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sitechat.db.base import UTCDateTime

# Frozen here: a later change to the models' types must not rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="online")
        )
        batch_op.add_column(sa.Column("last_assigned_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("waiting", sa.String(length=20), nullable=True))
    op.create_index("ix_conversations_queue", "conversations", ["website_id", "queued_at"])
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("skills", JSON_T, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_team_members_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "agent_id", name=op.f("pk_team_members")),
    )
    op.create_index("ix_team_members_agent_id", "team_members", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_team_members_agent_id", table_name="team_members")
    op.drop_table("team_members")
    op.drop_table("teams")
    op.drop_index("ix_conversations_queue", table_name="conversations")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("waiting")
        batch_op.drop_column("queued_at")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("status")
        batch_op.drop_column("capacity")
