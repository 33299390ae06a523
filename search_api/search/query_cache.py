"""An LRU cache of text-query embeddings: the same phrase is encoded by the model once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

DEFAULT_SIZE = 1024
DEFAULT_MAX_BYTES = 32 * 1024**2
ENTRY_OVERHEAD = 256
"""Bytes counted per entry beyond its text and vector (the key tuple, the dict slot, the array header)."""


def entry_bytes(text: str, vector: np.ndarray) -> int:
    """What one cached query costs in memory, as the byte cap counts it."""
    return ENTRY_OVERHEAD + len(text.encode("utf-8", "surrogatepass")) + vector.nbytes


class QueryEmbeddingCache:
    """Text -> query vector, least recently used out first, within ``size`` entries and ``max_bytes``.
    ``size=0`` turns caching off."""

    def __init__(
        self,
        encode: Callable[[str], np.ndarray],
        size: int = DEFAULT_SIZE,
        model: Callable[[], str | None] = lambda: None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        """``model`` names the current model: vectors of another model are never handed out."""
        if size < 0:
            raise ValueError(f"query cache size must be >= 0, not {size}")
        self._encode = encode
        self._model = model
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[tuple[str | None, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vector(self, text: str) -> np.ndarray:
        key = (self._model(), text)
        with self._lock:
            cached = self._vectors.get(key)
            if cached is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
        # Encode outside the lock: a slow model call must not hold up cached look-ups.
        vector = np.array(self._encode(text), dtype=np.float32)
        vector.setflags(write=False)
        cost = entry_bytes(text, vector)
        if self.size and cost <= self.max_bytes and self._model() == key[0]:  # the model did not change
            with self._lock:
                if key not in self._vectors:
                    self._vectors[key] = vector
                    self.bytes += cost
                self._vectors.move_to_end(key)
                while len(self._vectors) > self.size or self.bytes > self.max_bytes:
                    (_, old_text), old = self._vectors.popitem(last=False)
                    self.bytes -= entry_bytes(old_text, old)
        return vector

    def __len__(self) -> int:
        return len(self._vectors)
