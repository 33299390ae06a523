"""staged embeddings: a re-embed's new vectors, kept beside the live ones until the switch

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staged_embeddings",
        sa.Column("model", sa.String(255), primary_key=True),
        sa.Column("video_id", sa.Integer, sa.ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source_clip", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
        sa.Column("vectors", sa.LargeBinary, nullable=False),
        sa.Column("clip_ids", sa.LargeBinary, nullable=False),
        sa.Column("clip_windows", sa.LargeBinary, nullable=False),
        sa.Column("clip_vectors", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staged_embeddings_video_id", "staged_embeddings", ["video_id"])


def downgrade() -> None:
    op.drop_index("ix_staged_embeddings_video_id", table_name="staged_embeddings")
    op.drop_table("staged_embeddings")
