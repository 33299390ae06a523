"""Settings from the environment (prefix ``VIDSEEK_``), overridable by CLI flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "ViT-B-32:laion2b_s34b_b79k"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIDSEEK_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default=Path("vidseek-data"), description="SQLite file, FAISS index and derived files.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    model: str = Field(default=DEFAULT_MODEL, description="Model spec, see PRODUCT.md.")
    decoder: str = Field(default="pyav", description="Decoding backend: 'pyav' or 'decord'.")
    sample_fps: float = Field(default=1.0, gt=0, le=60, description="Frames sampled per second of video.")
    clip_seconds: float = Field(default=4.0, gt=0, description="Length of a clip window in seconds.")
    clip_stride: float = Field(default=2.0, gt=0, description="Seconds between clip starts.")
    batch_size: int = Field(default=32, ge=1, le=4096, description="Frames per model call.")
    index_type: str = Field(default="auto", description="FAISS index: auto, flat, ivf, hnsw.")
    query_cache_size: int = Field(default=1024, ge=0, description="Text-query embeddings kept in memory; 0 = off.")
    device: str = Field(default="auto", description="Torch device: auto, cpu, cuda.")
    threads: int = Field(default=0, ge=0, description="Torch intra-op threads; 0 = all cores.")

    @field_validator("decoder")
    @classmethod
    def _known_decoder(cls, value: str) -> str:
        if value not in ("pyav", "decord"):
            raise ValueError(f"decoder must be 'pyav' or 'decord', not {value!r}")
        return value

    @field_validator("index_type")
    @classmethod
    def _known_index_type(cls, value: str) -> str:
        if value not in ("auto", "flat", "ivf", "hnsw"):
            raise ValueError(f"index_type must be one of auto, flat, ivf, hnsw, not {value!r}")
        return value

    @model_validator(mode="after")
    def _stride_within_clip(self) -> "Settings":
        if self.clip_stride > self.clip_seconds:
            raise ValueError(
                f"clip_stride ({self.clip_stride}) is longer than clip_seconds ({self.clip_seconds}): "
                "frames between clips would never be searchable"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vidseek.db').resolve()}"

    @property
    def faiss_path(self) -> Path:
        return self.data_dir / "clips.faiss"
