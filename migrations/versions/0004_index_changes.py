"""index changes: the clip ids each generation removed and added, so readers catch up by the change

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_changes",
        sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("removed", sa.LargeBinary, nullable=False),
        sa.Column("added", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("index_changes")
