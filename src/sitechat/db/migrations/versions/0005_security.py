"""security: scoped API keys, per-website limits

API tokens become keys with scopes and an optional website restriction. Tokens made before
keep working exactly as before: they get every scope and no restriction.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen here: a later change to the models' types or scope list must not rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ALL_SCOPES = [
    "conversations:read",
    "conversations:write",
    "visitors:read",
    "visitors:write",
    "websites:read",
    "websites:admin",
    "agents:read",
    "agents:admin",
    "keys:admin",
    "audit:read",
]

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", JSON_T, nullable=True))
        batch_op.add_column(sa.Column("website_ids", JSON_T, nullable=True))
        batch_op.add_column(sa.Column("hint", sa.String(length=8), nullable=True))
    tokens = sa.table("api_tokens", sa.column("scopes", JSON_T))
    op.execute(tokens.update().values(scopes=ALL_SCOPES))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("scopes", existing_type=JSON_T, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("hint")
        batch_op.drop_column("website_ids")
        batch_op.drop_column("scopes")
