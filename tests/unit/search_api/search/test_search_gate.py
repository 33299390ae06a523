"""``VIDSEEK_SERVE_SEARCHES``: how many searches one process runs at once (``SearchGate``, ``SearchEngine.page``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from colour_encoder import ColourEncoder

from search_api.http.schemas import MomentFilters
from search_api.search.engine import SearchEngine
from search_api.search.search_gate import SearchGate
from vidseek.config import Settings
from vidseek.storage.library import Library


class _Inside:
    """Counts the threads inside a step and the most there at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def step(self, hold: threading.Event) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        hold.wait(0.2)  # long enough for the other threads to try to come in
        with self.lock:
            self.now -= 1


def _together(n: int, work) -> None:  # noqa: ANN001
    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)


@pytest.mark.parametrize("limit", [1, 2])
def test_at_most_limit_threads_are_inside(limit: int) -> None:
    gate, inside, hold = SearchGate(limit), _Inside(), threading.Event()

    def work() -> None:
        with gate:
            inside.step(hold)

    _together(4, work)
    assert inside.most == limit


def test_a_thread_inside_may_enter_again_and_a_failure_gives_its_place_back() -> None:
    gate = SearchGate(1)
    done = threading.Event()

    def nested() -> None:
        with gate, gate:
            done.set()

    t = threading.Thread(target=nested)
    t.start()
    t.join(10)
    assert done.is_set()
    with pytest.raises(RuntimeError), gate:
        raise RuntimeError("the search failed")
    entered = threading.Event()
    t = threading.Thread(target=lambda: gate.__enter__() and entered.set())
    t.start()
    t.join(10)
    assert entered.is_set()


def test_a_limit_under_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SearchGate(0)


@pytest.mark.parametrize("gate, most", [(None, range(2, 5)), (SearchGate(1), range(1, 2))])
def test_the_engine_runs_at_most_its_gates_searches_at_once(
    db_settings: Settings, gate: SearchGate | None, most: range
) -> None:
    engine = SearchEngine(Library(db_settings, notify=lambda m: None), ColourEncoder(), gate=gate)
    inside, hold, start = _Inside(), threading.Event(), threading.Barrier(4)

    find = engine.find

    def searching(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        inside.step(hold)
        return find(*args, **kwargs)

    engine.find = searching

    def work() -> None:
        start.wait(10)
        engine.page(lambda: engine.encoder.encode_text(["red"])[0], MomentFilters(limit=5))

    _together(4, work)
    assert inside.most in most  # without a gate they overlap; with one, one at a time


def test_with_a_gate_queries_are_encoded_one_at_a_time_before_the_search_takes_its_turn(db_settings: Settings) -> None:
    # the text tower runs outside the interpreter lock: a request's encoding overlaps the search in
    # progress instead of queueing behind it, and encodings do not pile up on the cores either
    engine = SearchEngine(Library(db_settings, notify=lambda m: None), ColourEncoder(), gate=SearchGate(1))
    searching, encoded, overlapped = threading.Event(), threading.Event(), []
    find = engine.find

    def first_search_waits_for_the_second_encoding(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not searching.is_set():
            searching.set()
            overlapped.append(encoded.wait(10))
        return find(*args, **kwargs)

    engine.find = first_search_waits_for_the_second_encoding

    def second() -> np.ndarray:
        encoded.set()
        return engine.encoder.encode_text(["blue"])[0]

    first = threading.Thread(target=lambda: engine.page("red", MomentFilters(limit=5)))
    first.start()
    assert searching.wait(10)
    engine.page(second, MomentFilters(limit=5))
    first.join(30)
    assert overlapped == [True]  # the second query was made while the first search held the gate

    inside, hold = _Inside(), threading.Event()

    def encoding() -> np.ndarray:
        inside.step(hold)
        return engine.encoder.encode_text(["green"])[0]

    _together(4, lambda: engine.page(encoding, MomentFilters(limit=5)))
    assert inside.most == 1
