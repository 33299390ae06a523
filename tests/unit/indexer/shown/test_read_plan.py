"""Which frames the OCR model reads: once for a still picture, every few seconds in footage without
text, every frame while text is on screen, at once after a cut or at a shot the hook names."""

from __future__ import annotations

import numpy as np

from indexer.shown.read_plan import IDLE_SECONDS, READ, SAME, SKIP, ReadPlan


def _glance(level: float, block: tuple[int, int] | None = None, change: float = 0.0) -> np.ndarray:
    sig = np.full((16, 16), level, np.float32)
    if block is not None:
        sig[block] += change
    return sig


def _run(plan: ReadPlan, glances: list[np.ndarray], texts: dict[int, bool] | None = None) -> list[str]:
    out = []
    for t, glance in enumerate(glances):
        decision = plan.decide(float(t), glance)
        if decision == READ:
            plan.was_read(float(t), glance, had_text=(texts or {}).get(t, False))
        out.append(decision)
    return out


def test_a_still_picture_is_read_once() -> None:
    assert _run(ReadPlan(), [_glance(100.0)] * 6) == [READ] + [SAME] * 5


def test_text_appearing_in_one_block_of_a_still_picture_is_read_within_the_idle_seconds() -> None:
    glances = [_glance(100.0), _glance(100.0)] + [_glance(100.0, (14, 3), 20.0)] * 4
    assert _run(ReadPlan(idle_seconds=4.0), glances, texts={4: True}) == [READ, SAME, SKIP, SKIP, READ, SAME]
    # (the frames skipped before it are read back by the reader: tests/unit/indexer/shown/test_text_reading.py)


def test_footage_without_text_is_read_every_few_seconds_and_with_text_every_frame() -> None:
    moving = [_glance(100.0, (t % 16, 5), 40.0 + t) for t in range(12)]
    plain = _run(ReadPlan(), moving)
    assert [t for t, d in enumerate(plain) if d == READ] == list(range(0, 12, int(IDLE_SECONDS)))
    assert all(d == SKIP for d in plain if d != READ)
    written = _run(ReadPlan(), moving, texts=dict.fromkeys(range(12), True))
    assert written == [READ] * 12


def test_a_cut_or_a_shot_the_hook_names_is_read_at_once() -> None:
    glances = [_glance(100.0, (t % 16, 5), 40.0 + t) for t in range(3)] + [_glance(200.0)]
    assert _run(ReadPlan(idle_seconds=4.0), glances) == [READ, SKIP, SKIP, READ]
    hooked = ReadPlan(idle_seconds=4.0, new_shot=lambda t: t == 2.0)
    assert _run(hooked, [_glance(100.0, (t % 16, 5), 40.0 + t) for t in range(4)]) == [READ, SKIP, READ, SKIP]
