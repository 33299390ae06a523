"""The encoder of the library's current model, following it when a re-embed switches models.

A running ``vidseek serve`` or ``vidseek worker`` starts with the model its settings name (which must
be the index's). When a re-embed finishes, the library's recorded model changes under it: the next
``current()`` loads the new model from the spec the re-embed recorded, once, and every caller gets
that one from then on. Until then, the old encoder keeps answering against the old index.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from vidseek.errors import ModelMismatchError
from vidseek.models.encoders import Encoder
from vidseek.storage.library import Library

log = logging.getLogger(__name__)


class EncoderFollower:
    def __init__(self, library: Library, encoder: Encoder, load: Callable[[str], Encoder]) -> None:
        self.library = library
        self._encoder = encoder
        self._load = load
        self._lock = threading.Lock()

    def current(self) -> Encoder:
        """The encoder for the model of the index ``library.index()`` last handed out."""
        model = self.library.current_model()
        encoder = self._encoder
        if model is None or model == encoder.name:
            return encoder
        with self._lock:
            if self._encoder.name != model:
                spec = self.library.model_spec(model)
                if spec is None:
                    raise ModelMismatchError(
                        f"The library's model is now '{model}', which this process cannot "
                        f"load (no re-embed recorded its spec); restart it with "
                        f"VIDSEEK_MODEL set to that model's spec."
                    )
                log.warning("the library was re-embedded with %s: loading it (%s)", model, spec)
                self._encoder = self._load(spec)
            return self._encoder

    def adopt(self, encoder: Encoder) -> None:
        """Use an encoder already loaded for the library's new model (the re-embed's own)."""
        with self._lock:
            self._encoder = encoder
