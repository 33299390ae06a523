"""cue vectors: each subtitle or transcript cue's text embedded by a library model's text tower

``cue_vectors`` holds one float32 vector per (cue, model): semantic search over what is said uses
the rows of the library's current model, so a re-embed fills the new model's rows beside the old
ones before it switches. Rows go with their cue (``ON DELETE CASCADE``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cue_vectors",
        sa.Column("cue_id", sa.Integer, sa.ForeignKey("cues.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.String(255), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_cue_vectors_model", "cue_vectors", ["model", "cue_id"])


def downgrade() -> None:
    op.drop_table("cue_vectors")
