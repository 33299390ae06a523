"""Test-only transcribers that misbehave, as a user's ``python:MODULE:ATTR`` speech model might.

At run time (``python:hostile_transcribers:NAME``): one that hangs on its second window, ones that
answer something that is not lines, one that answers very long marked-up text, one that raises. As
they are imported: ``write_import_hostile(folder)`` writes modules that raise, have a syntax error,
never finish importing, or end the process, and gives their specs (the folder must be on
``sys.path``; a module with a syntax error cannot live in the repository, where it would be linted).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from tone_transcriber import ToneTranscriber

LONG_WORDS = 3000
"""How many marked-up words ``VeryLongTranscriber`` says in one line (some 30,000 characters)."""


class HangsOnSecondWindow(ToneTranscriber):
    """Hears the first window as the tone transcriber does, then never answers (as a model stuck on a
    device might): its worker must stop it."""

    name = "test:hangs"

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str]]:
        if self.windows_heard >= 1:
            threading.Event().wait()
        return super().transcribe(samples)


class NotAListTranscriber:
    """Answers a number."""

    name = "test:not-a-list"

    def transcribe(self, samples: np.ndarray) -> object:
        return 42


class RaisingLinesTranscriber:
    """Answers a generator that gives one line, then raises as it is read."""

    name = "test:raising-lines"

    def transcribe(self, samples: np.ndarray) -> object:
        def lines():  # noqa: ANN202
            yield (0.0, 1.0, "hello")
            raise RuntimeError("the decoder state is corrupt " + "x" * 1000)

        return lines()


class VeryLongTranscriber:
    """Answers one line of ``LONG_WORDS`` words, each in italics markup."""

    name = "test:very-long"

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str]]:
        return [(0.5, 1.5, " ".join(f"<i>word{i}</i>" for i in range(LONG_WORDS)))]


class RaisingTranscriber:
    """Raises, with a message many hundreds of characters long, on every window."""

    name = "test:raising"

    def transcribe(self, samples: np.ndarray) -> list:
        raise RuntimeError("CUDA out of memory " + "y" * 1000)


IMPORT_HOSTILE = {
    "raises": ("raise RuntimeError('no speech device on this machine ' + 'z' * 1000)\n", "RuntimeError: no speech"),
    "syntax": ("class Transcriber(:\n    pass\n", "SyntaxError"),
    "hangs": ("import threading\nthreading.Event().wait()\n", "did not finish within"),
    "exits": ("import os\nos._exit(3)\n", "ended its Python process (exit code 3)"),
}
"""Kind of module -> (its source, what the one-line error says)."""


def write_import_hostile(folder: Path, kind: str) -> str:
    """Write the module of ``kind`` (``IMPORT_HOSTILE``) into ``folder``; its spec."""
    folder.mkdir(parents=True, exist_ok=True)
    module = f"hostile_import_{kind}"
    (folder / f"{module}.py").write_text(IMPORT_HOSTILE[kind][0])
    return f"python:{module}:Transcriber"
