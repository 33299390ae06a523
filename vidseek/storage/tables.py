"""SQL tables. The schema itself is made only by the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64))
    duration: Mapped[float] = mapped_column(Float)
    fps: Mapped[float] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    codec: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(Text)
    sample_fps: Mapped[float] = mapped_column(Float)
    clip_seconds: Mapped[float] = mapped_column(Float)
    clip_stride: Mapped[float] = mapped_column(Float)
    frame_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="indexed")
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sidecars: Mapped[str] = mapped_column(Text, default="")
    """Name:size:mtime of each subtitle file beside the video when its cues were read ("" for none)."""
    shots: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    """Its cuts, ``[[seconds, "cut"|"fade"], ...]`` (``vidseek.shots``; migration 0008); NULL: not detected."""

    clips: Mapped[list["Clip"]] = relationship(
        back_populates="video", cascade="all, delete-orphan", passive_deletes=True
    )
    frames: Mapped["FrameVectors | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Clip(Base):
    __tablename__ = "clips"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    first_frame: Mapped[int] = mapped_column(Integer)
    last_frame: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

    video: Mapped[Video] = relationship(back_populates="clips")


class Cue(Base):
    """One timed line of subtitle text (full-text indexed by its ``terms``: see migrations 0005, 0007)."""

    __tablename__ = "cues"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    """``sidecar:NAME.en.srt`` or ``stream:INDEX``."""
    lang: Mapped[str | None] = mapped_column(String(35), nullable=True)
    terms: Mapped[str] = mapped_column(Text, default="")
    """Its index terms, space-separated (``vidseek.said.text_analysis.index_text``; migration 0007)."""


POSTGRESQL_ONLY_COLUMNS = {"cues": {"terms_tsv"}}
"""Columns the migrations make on PostgreSQL alone, outside the models: ``cues.terms_tsv`` is the
tsvector of ``terms``, a stored generated column that full-text search reads (SQLite's FTS5 table
holds the same terms; migration 0007)."""


class CueVector(Base):
    """One cue's text embedded by one model's text tower (float32, L2-normalised; see ``vidseek.said.cue_vectors``)."""

    __tablename__ = "cue_vectors"

    cue_id: Mapped[int] = mapped_column(ForeignKey("cues.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class FrameVectors(Base):
    """All sampled frames of one video: timestamps and float32 vectors, row-aligned."""

    __tablename__ = "frame_vectors"

    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    dim: Mapped[int] = mapped_column(Integer)
    times: Mapped[bytes] = mapped_column(LargeBinary)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)


class StagedEmbedding(Base):
    """One video re-embedded with another model, waiting for the switch (see ``vidseek.storage.staging``).

    ``source_clip`` is the video's lowest live clip id when it was staged: re-indexing gives a video
    new clip ids, so a changed value means the staged vectors describe an older version of the file.
    ``clip_ids`` were reserved from the clips' own id sequence, so the FAISS index built from these
    rows before the switch already holds the ids the clips get at the switch.
    """

    __tablename__ = "staged_embeddings"

    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True, index=True)
    source_clip: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    dim: Mapped[int] = mapped_column(Integer)
    times: Mapped[bytes] = mapped_column(LargeBinary)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    clip_ids: Mapped[bytes] = mapped_column(LargeBinary)
    """int64, one per clip."""
    clip_windows: Mapped[bytes] = mapped_column(LargeBinary)
    """float64 rows of (first frame, last frame, start, end), one per clip."""
    clip_vectors: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IndexChange(Base):
    """The clip ids one generation removed and added (int64 blobs); the recent ones are kept so a
    reader a few generations behind catches up by these instead of comparing every clip id."""

    __tablename__ = "index_changes"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    removed: Mapped[bytes] = mapped_column(LargeBinary)
    added: Mapped[bytes] = mapped_column(LargeBinary)


class IndexMeta(Base):
    """Key/value facts about the index: model name, dimension, generation."""

    __tablename__ = "index_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Job(Base):
    """A unit of background work: index, reindex, delete or reembed. See ``vidseek.storage.jobs``."""

    __tablename__ = "jobs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    video_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiKey(Base):
    """An API key; only its hash is stored."""

    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
