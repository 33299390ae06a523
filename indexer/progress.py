"""Progress bars on stderr: one for the file being decoded, one overall with realtime factor and ETA."""

from __future__ import annotations

import time

from tqdm import tqdm


class Progress:
    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = enabled  # None: only on a terminal
        self._overall: tqdm | None = None
        self._file: tqdm | None = None
        self._current: str | None = None
        self._done_seconds = 0.0
        self._started = 0.0

    def start(self, total_seconds: float, n_files: int) -> None:
        self._started = time.perf_counter()
        self._overall = tqdm(
            total=round(total_seconds, 1),
            unit="s",
            desc=f"all {n_files} files",
            position=0,
            disable=None if self.enabled is None else not self.enabled,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s video "
            "[{elapsed}<{remaining}, {postfix}]",
        )

    def frame(self, name: str, t: float, duration: float) -> None:
        if self._overall is None or self._overall.disable:
            return
        if name != self._current:
            if self._file is not None:
                self._file.close()
            self._current = name
            self._file = tqdm(
                total=round(max(duration, t), 1),
                unit="s",
                desc=name[:40],
                position=1,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s",
            )
        self._file.n = round(t, 1)
        self._file.refresh()
        self._overall.n = round(min(self._done_seconds + t, self._overall.total), 1)
        self._overall.refresh()

    def file_done(self, duration: float, failed: bool = False) -> None:
        if self._overall is None:
            return
        self._done_seconds += duration
        self._overall.n = round(min(self._done_seconds, self._overall.total), 1)
        self._overall.refresh()
        wall = time.perf_counter() - self._started
        if wall > 0 and not self._overall.disable:
            self._overall.set_postfix_str(f"{self._done_seconds / wall:.1f}x realtime")

    def close(self) -> None:
        for bar in (self._file, self._overall):
            if bar is not None:
                bar.close()
