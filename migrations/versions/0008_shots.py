"""shots: the cuts found in each video while it was decoded

``videos.shots`` holds a video's cuts as JSON, ``[[seconds, "cut"|"fade"], ...]`` (``vidseek.shots``);
its shots are the stretches between them. NULL for the videos indexed before: they have no shots until
they are indexed again (nothing else about them changes, and grounding works as before on them). Kept
on the video's own row, it is written in the same statement as the row and goes with it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("videos", sa.Column("shots", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("shots")
