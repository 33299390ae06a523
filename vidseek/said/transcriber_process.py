"""A transcriber run in a child process of its own, so that one that hangs can be stopped.

A worker's transcribe job gives its transcriber one window of sound at a time; the user's code (or a
model) may never answer, and a thread cannot be stopped. So the worker starts
``python -m vidseek.said.transcriber_process`` once (the model loads there, once, as ``load_transcriber``
builds it) and sends it the windows over a pipe::

    worker ──("load", spec, device, threads)──► child: ("ready", name) | ("bad", why)
    worker ──("hear", samples)──► child: ("lines", [(start, end, text)...], language) | ("bad", why) | ("failed", why)

Each answer is awaited for at most a time limit (``VIDSEEK_SPEECH_WINDOW_TIMEOUT``); past it the child
is killed and ``TranscriberHung`` raised: the job fails, the worker moves on, and its next transcribe
job starts a fresh child. ``bad`` (the model cannot load, or answered something that is not lines) is a
ModelError: the job fails at once. ``failed`` (the transcriber raised) and a child that died are a
``TranscriberFailed``, which a job may retry. The child leaves when the pipe closes or its parent dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection, Pipe

import numpy as np

from vidseek.errors import ModelError, VidseekError
from vidseek.import_probe import child_env

TIMEOUT_SETTING = "VIDSEEK_SPEECH_WINDOW_TIMEOUT"


class TranscriberHung(ModelError):
    """The transcriber gave no answer within its time limit; its process was killed."""


class TranscriberFailed(VidseekError):
    """The transcriber raised, or its process died: perhaps a passing failure (memory, a device)."""


class TranscriberProcess:
    """A transcriber (``transcribe(samples)``, ``name``, ``language``) in a child process."""

    def __init__(self, spec: str, *, device: str, threads: int, load_timeout: float, window_timeout: float) -> None:
        """Start the child and load the model there, waiting at most ``load_timeout`` seconds;
        ModelError (or TranscriberHung) when it cannot be loaded."""
        self.key = (spec, device, threads)
        self.window_timeout = window_timeout
        self.language: str | None = None
        self._conn, theirs = Pipe()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "vidseek.said.transcriber_process", str(theirs.fileno()), str(os.getpid())],
            stdin=subprocess.DEVNULL,
            env=child_env(),
            pass_fds=[theirs.fileno()],
            start_new_session=True,  # its own process group: whatever the transcriber starts is killed with it
        )
        theirs.close()
        self._conn.send(("load", spec, device, threads))
        answer = self._answer(load_timeout, f"did not load within {load_timeout:g} s")
        if answer[0] != "ready":
            self.close()
            raise ModelError(str(answer[1]))
        self.name = str(answer[1])

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str]]:
        """The lines heard in ``samples`` (checked, as ``heard_lines`` does)."""
        try:
            self._conn.send(("hear", np.ascontiguousarray(samples, np.float32)))
        except OSError:
            self.close()
            raise TranscriberFailed(self._died()) from None
        answer = self._answer(
            self.window_timeout, f"gave no answer within {self.window_timeout:g} s ({TIMEOUT_SETTING})"
        )
        if answer[0] == "lines":
            self.language = answer[2]
            return answer[1]
        if answer[0] == "bad":
            raise ModelError(str(answer[1]))
        raise TranscriberFailed(f"the transcriber raised {answer[1]}")

    def _answer(self, timeout: float, hung: str) -> tuple:
        try:
            if self._conn.poll(timeout):
                return self._conn.recv()
        except (EOFError, OSError):
            self.close()
            raise TranscriberFailed(self._died()) from None
        self.close()
        raise TranscriberHung(f"the transcriber {hung}; it was stopped")

    def _died(self) -> str:
        code = self._proc.poll()
        return f"the transcriber's process ended (exit code {code})"

    def close(self) -> None:
        """Stop the child (killed: it may be stuck in the user's code) and everything it started."""
        self._conn.close()
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)  # not reaped yet: the group id is still its own
            except (ProcessLookupError, PermissionError):
                self._proc.kill()
        self._proc.wait()


# -- the child -------------------------------------------------------------------------------------


def _leave_with_parent(parent: int) -> None:
    """End this process once its parent is gone (killed, say, while this one was stuck)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def serve(conn: Connection) -> None:
    """Load the transcriber the first message names, then answer each window until the pipe closes."""
    from vidseek.models.model_spec import cause_of
    from vidseek.said.transcribers import heard_lines, load_transcriber

    _, spec, device, threads = conn.recv()
    try:
        transcriber = load_transcriber(spec, device=device, threads=threads)
    except ModelError as exc:
        conn.send(("bad", str(exc)))
        return
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code
        conn.send(("bad", f"Loading the speech model {spec} failed: {cause_of(exc)}"))
        return
    conn.send(("ready", transcriber.name))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        try:
            raw = transcriber.transcribe(message[1])
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code: its reason, for a retry
            conn.send(("failed", cause_of(exc)))
            continue
        try:
            lines = heard_lines(raw, transcriber.name)
            language = getattr(transcriber, "language", None)
        except ModelError as exc:
            conn.send(("bad", str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a 'language' property that raises
            conn.send(("bad", f"Transcriber {transcriber.name}: {cause_of(exc)}"))
            continue
        conn.send(("lines", [(line.start, line.end, line.text) for line in lines], _language(language)))


def _language(value: object) -> str | None:
    return value[:35] if isinstance(value, str) and value else None


def main(argv: list[str]) -> None:
    conn, parent = Connection(int(argv[1])), int(argv[2])
    threading.Thread(target=_leave_with_parent, args=(parent,), daemon=True).start()
    try:
        serve(conn)
    except (EOFError, BrokenPipeError):
        pass
    os._exit(0)  # threads the transcriber left running do not hold the process


if __name__ == "__main__":
    main(sys.argv)
