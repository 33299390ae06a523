"""The colour encoder, except that the first process to embed after the test arms it dies on the
spot (``os._exit``): Ray restarts the actor and retries the call. Armed by creating the file named
in ``VIDSEEK_TEST_CRASH_ARM``; unlinking it is atomic, so exactly one call crashes per arming."""

from __future__ import annotations

import os

import numpy as np
from colour_encoder import ColourEncoder


class CrashOnceColourEncoder(ColourEncoder):
    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        arm = os.environ.get("VIDSEEK_TEST_CRASH_ARM")
        if arm:
            try:
                os.unlink(arm)
            except FileNotFoundError:
                pass
            else:
                os._exit(17)
        return super().encode_frames(frames)
