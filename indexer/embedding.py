"""How sampled frames become vectors: the strategy an ``Indexer`` (and a ``Reembedder``) is given.

A :class:`FrameEmbedding` decodes each video it is handed at a sampling rate and embeds its frames
with one model, yielding a :class:`~indexer.decoded.DecodedVideo` per video (its frames and vectors,
or why it failed), each video once, in any order. Two implementations:

- :class:`LocalEmbedding` (here): a decode thread and batched model calls in this process;
- ``indexer.distributed.RayEmbedding``: decode tasks and embedding actors on a Ray cluster.

The caller checks, pools and stores the results; the strategy never touches the library.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from indexer.decode import DEFAULT_INPUT_SIZE, get_decoder
from indexer.decoded import DecodedVideo
from indexer.pipeline import embed_videos
from vidseek.config import Settings
from vidseek.models.encoders import Encoder, input_size_of

OnFrame = Callable[[int, float], None]
"""Called with (video key, frame time) as frames are decoded (progress)."""


@dataclass(frozen=True)
class VideoToEmbed:
    key: int
    """How results name this video (unique within one call)."""
    path: Path
    duration: float
    """Seconds, as probed (0 when unknown); a strategy may cut long videos into chunks by it."""


class FrameEmbedding(Protocol):
    model_name: str
    """The model's name, as the library records it."""
    dim: int

    def embed(
        self, videos: Sequence[VideoToEmbed], *, fps: float, keyframes_only: bool, on_frame: OnFrame
    ) -> Iterator[DecodedVideo]:
        """Each video's sampled frames (at ``fps``) and their vectors, or its decode error, once each.
        An error of the model itself is raised (the run stops)."""
        ...


def batch_size_for(settings: Settings, encoder: Encoder) -> int:
    """Frames per model call: the setting when given; else 32 on a CPU and 256 on a GPU, where
    fp16 inference wants large batches."""
    if "batch_size" in settings.model_fields_set:
        return settings.batch_size
    return 256 if str(getattr(encoder, "device", "cpu")).startswith("cuda") else settings.batch_size


def embedding_of(settings: Settings, encoder: Encoder | None, embedding: FrameEmbedding | None) -> FrameEmbedding:
    """The strategy a caller given either an ``encoder`` (embedded here, ``LocalEmbedding``) or an
    ``embedding`` uses."""
    if (encoder is None) == (embedding is None):
        raise TypeError("give an encoder or an embedding strategy (one of them)")
    return embedding if embedding is not None else LocalEmbedding(settings, encoder)


def text_tower(embedding: FrameEmbedding) -> Encoder | None:
    """The model of ``embedding`` with its text tower, when it runs in this process (``LocalEmbedding``);
    None for a strategy whose model lives elsewhere (Ray actors)."""
    encoder = getattr(embedding, "encoder", None)
    return encoder if callable(getattr(encoder, "encode_text", None)) else None


class LocalEmbedding:
    """A decode thread feeding batched calls of ``encoder`` in this process."""

    def __init__(self, settings: Settings, encoder: Encoder) -> None:
        self.encoder = encoder
        self.model_name = encoder.name
        self.dim = encoder.dim
        self.decoder = get_decoder(settings.decoder)
        self.size = input_size_of(encoder) or DEFAULT_INPUT_SIZE
        self.batch_size = batch_size_for(settings, encoder)
        self.skip_similar = settings.skip_similar
        self.shots = settings.shots
        self.settings = settings
        self._read_text: object | None = None

    def embed(
        self,
        videos: Sequence[VideoToEmbed],
        *,
        fps: float,
        keyframes_only: bool,
        on_frame: OnFrame = lambda key, t: None,
    ) -> Iterator[DecodedVideo]:
        return embed_videos(
            self.decoder,
            [(v.key, v.path) for v in videos],
            fps=fps,
            size=self.size,
            encode=self.encoder.encode_frames,
            batch_size=self.batch_size,
            on_frame=on_frame,
            keyframes_only=keyframes_only,
            skip_similar=self.skip_similar,
            shots=self.shots,
            read_text=self.read_text(),
        )

    def read_text(self):  # noqa: ANN201 - Callable[[], VideoTextReader] | None
        """A reader of shown text per video when ``VIDSEEK_OCR`` is on (the model loaded on first use)."""
        if self._read_text is None and self.settings.ocr:
            from indexer.shown.text_reading import reader_factory

            self._read_text = reader_factory(self.settings, on_text=self._open_text_tower)
        return self._read_text

    def _open_text_tower(self) -> None:
        """Text was read: its lines will be embedded at the end (``cue_vectors.fill``), so the model's text
        tower is opened now, in the background, beside decoding and embedding."""
        opening = getattr(self.encoder, "open_text_tower", None)
        if opening is not None:
            threading.Thread(target=_quietly, args=(opening,), name="vidseek-open-text", daemon=True).start()


def _quietly(step: Callable[[], None]) -> None:
    """Run ``step`` ignoring its failure: what it prepares early is made (and fails, saying why) when used."""
    try:
        step()
    except Exception:  # noqa: BLE001, S110 - the tower opens again on first use and reports then
        pass
