"""Query vectors from phrases (with negatives), an example image, or a stored clip."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from search_api.http.schemas import MAX_IMAGE_PIXELS
from search_api.search.query_cache import QueryEmbeddingCache
from vidseek.models.encoders import DEFAULT_INPUT_SIZE, Encoder, input_size_of
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.vectors.pool import l2_normalize


class QueryProblem(ValueError):
    """The query cannot make a vector; the message says why (shown to the caller)."""


def combine(positive: list[np.ndarray], negative: list[np.ndarray], weight: float) -> np.ndarray:
    """One query from positive and negative phrase vectors ("beach, not night").

    ``q = normalise(normalise(mean(positive)) - weight * normalise(mean(negative)))``

    ``weight`` is the caller's ``negative_weight`` (default 0.5). Before the last normalisation,
    ``f . q = f . p - weight * f . n`` for any frame vector ``f`` (``p``, ``n``: the normalised means),
    so likeness to the positives raises a frame's score and likeness to the negatives lowers it; the
    normalisation scales every score alike. With no negatives, ``q`` is the normalised mean of the positives.
    """
    query = l2_normalize(np.mean(positive, axis=0))
    if negative:
        query = query - weight * l2_normalize(np.mean(negative, axis=0))
    if float(np.linalg.norm(query)) < 1e-6:
        raise QueryProblem("the positive and negative phrases cancel each other out")
    return l2_normalize(query)


def phrases_vector(cache: QueryEmbeddingCache, positive: list[str], negative: list[str], weight: float) -> np.ndarray:
    return combine([cache.vector(p) for p in positive], [cache.vector(n) for n in negative], weight)


def image_frame(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """An uploaded image as one (H, W, 3) uint8 RGB frame: scaled to cover ``size`` (h, w), centre-cropped."""
    unreadable = (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError)
    too_large = f"over {MAX_IMAGE_PIXELS // 1_000_000} megapixels: send a smaller image"
    try:
        opened = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:
        raise QueryProblem(too_large) from None
    except unreadable as exc:
        raise QueryProblem(f"not a readable image ({type(exc).__name__})") from None
    with opened:
        if opened.width * opened.height > MAX_IMAGE_PIXELS:
            raise QueryProblem(f"{opened.width}x{opened.height} is {too_large}")
        try:
            side = max(size)  # JPEG: decode at the smallest scale still covering size, either way up (EXIF)
            opened.draft("RGB", (side, side))
            image = ImageOps.exif_transpose(opened).convert("RGB")
        except unreadable as exc:
            raise QueryProblem(f"not a readable image ({type(exc).__name__})") from None
    height, width = size
    return np.asarray(ImageOps.fit(image, (width, height), method=Image.Resampling.BICUBIC), dtype=np.uint8)


def image_vector(encoder: Encoder, data: bytes) -> np.ndarray:
    frame = image_frame(data, input_size_of(encoder) or DEFAULT_INPUT_SIZE)
    return encoder.encode_frames(frame[None])[0]


def clip_vector(library: Library, clip_id: int) -> np.ndarray | None:
    """The stored vector of one clip; None when there is no such clip."""
    with library.sessions() as session:
        clip = store.clips_by_ids([clip_id], session=session).get(clip_id)
        return None if clip is None else np.frombuffer(clip.vector, dtype=np.float32).copy()
