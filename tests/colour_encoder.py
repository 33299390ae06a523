"""A test-only encoder with known answers: frames embed by their mean colour, texts by colour words.

A red frame and the text "a red scene" have cosine ~1; a red frame and "blue" have cosine ~0.
"""

from __future__ import annotations

import numpy as np
from media import COLOURS

_NAMES = list(COLOURS)
_RGB = np.array([COLOURS[n] for n in _NAMES], dtype=np.float32)


class ColourEncoder:
    name = "test:colour-v1"
    dim = len(_NAMES)
    input_size = (32, 32)

    def __init__(self) -> None:
        self.frames_seen = 0

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        self.frames_seen += len(frames)
        mean = frames.reshape(len(frames), -1, 3).astype(np.float32).mean(axis=1)
        d2 = ((mean[:, None, :] - _RGB[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * 35.0**2)).astype(np.float32) + 1e-4

    def encode_text(self, texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), len(_NAMES)), 1e-3, np.float32)
        for i, text in enumerate(texts):
            words = text.lower().replace(",", " ").split()
            for j, name in enumerate(_NAMES):
                if name in words:
                    out[i, j] = 1.0
        return out


class OtherColourEncoder(ColourEncoder):
    """The same answers under another name: an index made with one must refuse the other."""

    name = "test:colour-v2"


class WideColourEncoder(ColourEncoder):
    """Another model (a re-embed target): the same colour answers in a wider space (3 more dimensions)."""

    name = "test:colour-wide"
    dim = ColourEncoder.dim + 3

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        out = super().encode_frames(frames)
        return np.hstack([out, np.full((len(out), 3), 1e-4, np.float32)])

    def encode_text(self, texts: list[str]) -> np.ndarray:
        out = super().encode_text(texts)
        return np.hstack([out, np.zeros((len(out), 3), np.float32)])


class SynonymColourEncoder(ColourEncoder):
    """The colour answers, with a text tower that also knows a few other words for the colours
    ("crimson" means red): a line can then match a query by its meaning and not its words."""

    name = "test:colour-synonyms"
    SYNONYMS = {"crimson": "red", "scarlet": "red", "azure": "blue", "navy": "blue", "emerald": "green"}

    def encode_text(self, texts: list[str]) -> np.ndarray:
        plain = [" ".join(self.SYNONYMS.get(w, w) for w in t.lower().replace(",", " ").split()) for t in texts]
        return super().encode_text(plain)
