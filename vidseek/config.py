"""Settings from the environment (prefix ``VIDSEEK_``), overridable by CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vidseek.models.model_presets import DEFAULT_PRESET, preset_named

DEFAULT_MODEL = preset_named(DEFAULT_PRESET).spec
"""The default preset's spec: an index built with it records ``open_clip:ViT-B-32:laion2b_s34b_b79k``."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIDSEEK_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default=Path("vidseek-data"), description="SQLite file, FAISS index and derived files.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    model: str = Field(
        default=DEFAULT_MODEL,
        description="Model spec (README, 'Pick a model') or preset (fast, best, multilingual); unset: the "
        "library's own model once it has one, else the fast preset.",
    )
    decoder: str = Field(default="pyav", description="Decoding backend: 'pyav' or 'decord'.")
    sample_fps: float = Field(default=1.0, gt=0, le=60, description="Frames sampled per second of video.")
    clip_seconds: float = Field(default=4.0, gt=0, description="Length of a clip window in seconds.")
    clip_stride: float = Field(default=2.0, gt=0, description="Seconds between clip starts.")
    batch_size: int = Field(default=32, ge=1, le=4096, description="Frames per model call.")
    index_type: str = Field(default="auto", description="FAISS index: auto, flat, ivf, fastscan, ivfpq, opq, hnsw.")
    index_mmap: bool = Field(
        default=False,
        description="Memory-map the FAISS file read-only instead of loading "
        "it: the inverted lists stay on disk (page cache), shared by the API processes of one "
        "machine; the index follows writers' saves. For readers; writers keep theirs in RAM.",
    )
    frame_file: bool = Field(
        default=True,
        description="Keep every frame vector in a memory-mapped file beside the FAISS file (data_dir/"
        "frames.vectors, made from the database) for grounding to read instead of SQL; false: read SQL.",
    )
    query_cache_size: int = Field(default=1024, ge=0, description="Text-query embeddings kept in memory; 0 = off.")
    thumbnail_cache_bytes: int = Field(
        default=256 * 1024**2,
        ge=0,
        description="Largest size of the on-disk "
        "thumbnail cache (data_dir/thumbnails), bytes; past it the least recently "
        "served thumbnails are deleted; 0 = no cap.",
    )
    device: str = Field(default="auto", description="Torch device: auto, cpu, cuda.")
    backend: str = Field(
        default="auto",
        description="Model runtime: auto (on a CPU ONNX Runtime at the fastest precision whose "
        "vectors stay within cosine 0.99 of torch fp32, measured per model; torch on CUDA), torch, onnx.",
    )
    model_cache: Path | None = Field(
        default=None, description="Where ONNX exports of models are kept; default data_dir/models."
    )
    threads: int = Field(default=0, ge=0, description="Torch intra-op threads; 0 = all cores.")
    index_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="CPU niceness `vidseek index` and `vidseek worker` run at (0: as started), so a search "
        "served on the same cores keeps its latency while they index (they yield to other busy work too).",
    )
    # The jobs queue (vidseek/storage/jobs.py, indexer/worker.py).
    serve_workers: int = Field(default=1, ge=0, description="Worker threads inside `vidseek serve`; 0 = none.")
    serve_searches: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Searches one `vidseek serve` process runs at once; the others wait their turn (searches "
        "running together in one process slow each other more than they overlap: use --processes for cores).",
    )
    serve_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes `vidseek serve` answers requests with on its one port (each loads the model and "
        "the index and runs its own worker threads; the frame file's pages are shared): requests at once "
        "use that many cores instead of one.",
    )
    job_lease: float = Field(
        default=60.0,
        gt=0,
        description="Seconds without a heartbeat after which a running "
        "job's worker counts as dead and the job is resumed.",
    )
    worker_poll: float = Field(default=1.0, gt=0, description="Seconds an idle worker waits between queue checks.")
    precision: str = Field(
        default="auto",
        description="Model precision: auto (fp16 on CUDA, fp32 on CPU), fp32, int8 (CPU), fp16 (CUDA), bf16.",
    )
    keyframes_only: bool = Field(default=False, description="Fast first index: decode keyframes only.")
    skip_similar: float = Field(
        default=2.0,
        description="A sampled frame whose 16x16 grey thumbnail differs from the last embedded frame's by at "
        "most this many grey levels (mean absolute difference, 0-255) reuses that frame's vector instead of "
        "being embedded (indexer/frame_signature.py); 0 = embed every frame.",
    )
    shots: bool = Field(
        default=True,
        description="Detect shots (hard cuts and fades) from the frames decoded while indexing "
        "(indexer/cut_detection.py); grounding stops moments at them and exports can snap to them.",
    )
    # Speech transcription, the optional extra vidseek[speech]
    # (vidseek/said/speech_spec.py, indexer/said/transcription.py).
    speech_model: str | None = Field(
        default=None,
        description="Speech model spec: faster-whisper:SIZE (e.g. faster-whisper:small, fetched on first use), "
        "/path/to/a/faster-whisper/model/folder (offline), or python:MODULE:ATTR; unset: no transcription.",
    )
    transcribe: str = Field(
        default="manual",
        description="'manual': transcribe jobs are queued by `vidseek transcribe` or the API only; 'auto': "
        "also for every newly indexed or changed video without subtitles (needs speech_model).",
    )
    speech_window: float = Field(
        default=600.0,
        ge=1,
        le=3600,
        allow_inf_nan=False,
        description="Seconds of sound a transcriber is given at a time (a long video is never held whole), 1-3600.",
    )
    speech_window_timeout: float | None = Field(
        default=None,
        ge=1,
        le=86_400,
        allow_inf_nan=False,
        description="Longest a transcriber may take to hear one window (and to load), seconds, up to a day; past "
        "it the job fails and the transcriber is stopped. Unset: 5x the window, at least 300.",
    )
    speech_import_timeout: float = Field(
        default=30.0,
        ge=0.1,
        le=3600,
        allow_inf_nan=False,
        description="Longest the import of a python:MODULE:ATTR speech model may take when it is checked "
        "(`vidseek transcribe`, the transcribe route), seconds.",
    )
    cues_per_hour: int = Field(
        default=6000,
        ge=10,
        description="Lines (subtitle or transcript cues) of one source stored per hour of video, at least a tenth "
        "of this whatever its length; the first ones in time are kept and a note says what was dropped "
        "(real subtitle files hold 1,000-2,000 an hour).",
    )
    # On-screen text, the optional extra vidseek[ocr] (vidseek/shown/ocr_engine.py, indexer/shown/).
    ocr: bool = Field(
        default=False,
        description="Read the text shown in the picture (PP-OCRv4) while indexing, searchable with "
        "modality=shown; `vidseek read-text` reads videos already indexed. Needs vidseek[ocr].",
    )
    ocr_every: float = Field(
        default=2.0,
        ge=0.1,
        le=60,
        allow_inf_nan=False,
        description="Seconds between frames read in moving footage where no text was seen: text shown this long "
        "or longer is read; more is cheaper (indexing with OCR costs about this many times less).",
    )
    ocr_side: int = Field(
        default=1280,
        ge=320,
        le=4096,
        description="Longest side, pixels, of the picture text is recognised in (a larger frame is scaled down to "
        "it); text is looked for in a 640-pixel copy.",
    )
    # Distributed indexing on Ray (indexer/distributed.py; `vidseek index --ray`).
    ray_address: str | None = Field(
        default=None,
        description="`vidseek index` on Ray: 'local' (Ray on this machine, "
        "started if needed), 'auto' (the running cluster) or "
        "a cluster address; unset: index in this process.",
    )
    ray_embed_actors: int = Field(
        default=0,
        ge=0,
        description="Embedding actors on Ray, each holding the model; "
        "0 = one per GPU of the cluster, or one without GPUs.",
    )
    ray_chunk_seconds: float = Field(
        default=300.0,
        ge=0,
        description="On Ray, videos longer than 1.5x this are "
        "decoded in chunks this long on separate tasks; "
        "0 = whole videos only.",
    )
    # What one subtitle file or stream may bring (see indexer/said/sidecars.py).
    subtitle_max_bytes: int = Field(
        default=20 * 1024**2,
        ge=1024,
        description="Bytes read of one subtitle file (or of one subtitle stream's text); the rest is left out, "
        "with a note.",
    )
    cue_max_chars: int = Field(
        default=1000, ge=1, description="Characters kept of one subtitle cue's text; longer text is cut, with a note."
    )
    # The HTTP surface of a live library: uploads, API keys, limits, CORS (see search_api/http/security.py).
    media_dir: Path | None = Field(
        default=None, description="Where uploaded videos are stored; default data_dir/media."
    )
    max_upload_bytes: int = Field(default=4 * 1024**3, ge=1, description="Largest accepted upload, bytes.")
    require_key_for_reads: bool = Field(default=False, description="Searches and listings need an API key too.")
    max_query_chars: int = Field(default=1000, ge=1, le=1000, description="Longest query text (q), characters.")
    max_page_size: int = Field(default=1000, ge=1, le=1000, description="Largest `limit` a request may ask for.")
    max_result_window: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Deepest a search may page: offset + limit at most this, so one request's work stays bounded.",
    )
    max_body_bytes: int = Field(
        default=1024**2, ge=1024, description="Largest JSON request body, bytes (uploads have max_upload_bytes)."
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="API requests per minute per key (or client address without one); 0 = no limit."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (comma-separated or a "
        "JSON list; '*' for any); none by default: no CORS headers.",
    )

    @field_validator("decoder")
    @classmethod
    def _known_decoder(cls, value: str) -> str:
        if value not in ("pyav", "decord"):
            raise ValueError(f"decoder must be 'pyav' or 'decord', not {value!r}")
        return value

    @field_validator("transcribe")
    @classmethod
    def _known_transcribe(cls, value: str) -> str:
        if value not in ("manual", "auto"):
            raise ValueError(f"transcribe must be 'manual' or 'auto', not {value!r}")
        return value

    @field_validator("speech_model")
    @classmethod
    def _speech_model_or_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("skip_similar")
    @classmethod
    def _grey_levels(cls, value: float) -> float:
        if not 0 <= value <= 255:  # also refuses nan
            raise ValueError(f"skip_similar must be a number of grey levels from 0 (off) to 255, not {value}")
        return value

    @field_validator("index_type")
    @classmethod
    def _known_index_type(cls, value: str) -> str:
        if value not in ("auto", "flat", "ivf", "fastscan", "ivfpq", "opq", "hnsw"):
            raise ValueError(f"index_type must be one of auto, flat, ivf, fastscan, ivfpq, opq, hnsw, not {value!r}")
        return value

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in ("auto", "torch", "onnx"):
            raise ValueError(f"backend must be one of auto, torch, onnx, not {value!r}")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip().rstrip("/") for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _default_media_dir(self) -> "Settings":
        if self.media_dir is None:
            self.media_dir = self.data_dir / "media"
        return self

    @model_validator(mode="after")
    def _stride_within_clip(self) -> "Settings":
        if self.clip_stride > self.clip_seconds:
            raise ValueError(
                f"clip_stride ({self.clip_stride}) is longer than clip_seconds ({self.clip_seconds}): "
                "frames between clips would never be searchable"
            )
        return self

    @property
    def speech_window_limit(self) -> float:
        """Seconds a transcriber may take over one window (``VIDSEEK_SPEECH_WINDOW_TIMEOUT``, else 5x the
        window, at least 300)."""
        if self.speech_window_timeout is not None:
            return self.speech_window_timeout
        return max(300.0, 5 * self.speech_window)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vidseek.db').resolve()}"

    @property
    def model_cache_dir(self) -> Path:
        """Where ONNX exports of models live (``VIDSEEK_MODEL_CACHE``, default ``data_dir/models``)."""
        return self.model_cache if self.model_cache is not None else self.data_dir / "models"

    @property
    def faiss_path(self) -> Path:
        return self.data_dir / "clips.faiss"

    @property
    def frame_file_path(self) -> Path:
        return self.faiss_path.with_name("frames.vectors")
