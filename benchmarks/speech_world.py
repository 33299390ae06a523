"""What is said in the synthetic moment world (``benchmarks/moment_world.py``): timed lines with
known text vectors, so search over sight and speech has known answers (pure numpy).

**Lines.** Every video has a line every ``line_every`` seconds or so (``line_seconds`` long), most
of them filler: everyday words, none of a query's. A *topic line* speaks of one topic; it is said

- during ``said_during`` of the topic's events (the topic is seen and said: a "both" truth, whose
  moment is the event's), and
- ``said_only`` times per topic where the topic is not seen (a narrator mentions it: a
  "said only" truth, whose moment is the line's own span);

except for ``silent_share`` of the topics, never said at all: their queries show whether lines that
match by chance push what is seen down.

A topic line uses the query's own words (``exact_share`` of them) or other words that mean the same
(a paraphrase: no word of the query, so full text cannot find it).

**Text vectors** live in the world's text span (the shared direction ``c`` and one direction per
topic, as queries do) and are rotated like everything else: a line is ``c + g + lift``, normalised,
where ``g`` is Gaussian noise on every topic direction (``noise`` per coordinate: lines differ) and
``lift`` is ``meaning`` on its topic's direction (and ``neighbour_share`` of that on the topic's
neighbours, as related lines read alike). With the defaults a query scores its topic's lines about
3.5-4 spreads above the filler, near the chance tail of a library of several thousand lines: the
text tower helps, but not every paraphrase stands out, as with a real CLIP text tower.

The truths of a query are the moments where its topic is seen or said: ``seen_only``,
``seen_and_said`` and ``said_only`` (``truth_kinds``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.moment_world import NOTHING, World, WorldEncoder
from search_api.evaluation.metrics import Span

FILLER_WORDS = (
    "well so then okay really just going think know mean right look yes maybe here there now later "
    "today honestly anyway probably sure thing stuff people time place bit lot kind sort while"
).split()
PARAPHRASE_WORDS = (
    "spotted glimpsed noticed watched filmed captured witnessed observed fellow creature machine "
    "figure scene moment fast quick slow bright dark loud quiet near far above below beside"
).split()


@dataclass(frozen=True)
class SpeechParams:
    seed: int = 0
    line_every: float = 4.0
    line_seconds: float = 2.5
    said_during: float = 0.5
    said_only: int = 1
    exact_share: float = 0.5
    noise: float = 0.25
    meaning: float = 1.2
    neighbour_share: float = 0.5
    silent_share: float = 0.25
    """Share of the topics never said at all (their queries must not be drowned by chance lines)."""


@dataclass(frozen=True)
class Line:
    video: str
    start: float
    end: float
    text: str
    topic: int
    """The topic it speaks of (``NOTHING`` for filler)."""
    exact: bool
    """It holds the query's own words."""


@dataclass(frozen=True)
class SpokenWorld:
    world: World
    params: SpeechParams
    lines: list[Line]
    vectors: dict[str, np.ndarray]
    """Line text -> its text vector (unit, rotated)."""
    truths: dict[str, dict[str, list[Span]]]
    """Query text -> truth kind -> its true moments."""
    silent: frozenset[str] = frozenset()
    """Queries whose topic is never said."""

    def all_truths(self, query: str) -> list[Span]:
        return [s for spans in self.truths[query].values() for s in spans]


TRUTH_KINDS = ("seen_only", "seen_and_said", "said_only")


def add_speech(world: World, params: SpeechParams | None = None) -> SpokenWorld:
    """The lines said in ``world``, their vectors and the truths of its queries, deterministically."""
    p = params or SpeechParams()
    rng = np.random.default_rng([p.seed, 11])
    geo = world.geometry
    topics = geo.topics
    lines: list[Line] = []
    silent = {int(t) for t in rng.permutation(len(topics))[: round(p.silent_share * len(topics))]}
    said_events = {i for i, e in enumerate(world.events) if rng.random() < p.said_during and e.topic not in silent}
    topic_lines: dict[str, list[tuple[float, int]]] = {v.name: [] for v in world.videos}
    for i in sorted(said_events):
        e = world.events[i]
        start = e.start + max(0.0, (e.end - e.start - p.line_seconds) / 2)
        topic_lines[e.video].append((start, e.topic))
    said_only: dict[int, list[Span]] = {t.index: [] for t in topics}
    for t in topics:
        for _ in range(0 if t.index in silent else p.said_only):
            video = world.videos[int(rng.integers(len(world.videos)))]
            near = {t.index, *t.neighbours}
            free = [
                s
                for s in np.arange(0.0, video.duration - p.line_seconds - 2, p.line_every)
                if not np.isin(video.frame_topic[int(s) : int(s + p.line_seconds) + 2], list(near)).any()
            ]
            if free:
                start = float(free[int(rng.integers(len(free)))])
                topic_lines[video.name].append((start, t.index))
                said_only[t.index].append(Span(video.name, start, start + p.line_seconds))
    count = 0
    for video in world.videos:
        taken = sorted(topic_lines[video.name])
        for start, topic in taken:
            exact = rng.random() < p.exact_share
            lines.append(
                Line(
                    video.name,
                    start,
                    start + p.line_seconds,
                    _words(rng, topics[topic].text, exact, count),
                    topic,
                    exact,
                )
            )
            count += 1
        for start in np.arange(0.5, video.duration - p.line_seconds, p.line_every):
            if any(abs(start - s) < p.line_seconds + 0.5 for s, _ in taken):
                continue
            lines.append(
                Line(
                    video.name,
                    float(start),
                    float(start) + p.line_seconds,
                    _words(rng, None, False, count),
                    NOTHING,
                    False,
                )
            )
            count += 1
    vectors = {line.text: _vector(line, world, p, rng) for line in lines}
    truths = {}
    for q in world.queries:
        said_spans = {
            (world.events[i].video, world.events[i].start) for i in said_events if world.events[i].topic == q.topic
        }
        seen = world.truths[q.text]
        truths[q.text] = {
            "seen_only": [s for s in seen if (s.video, s.start) not in said_spans],
            "seen_and_said": [s for s in seen if (s.video, s.start) in said_spans],
            "said_only": said_only[q.topic],
        }
    return SpokenWorld(world, p, lines, vectors, truths, frozenset(topics[t].text for t in silent))


def _words(rng: np.random.Generator, topic_text: str | None, exact: bool, serial: int) -> str:
    """A line's text: filler words around the topic's own words (``exact``) or a paraphrase; unique by ``serial``."""
    before = " ".join(rng.choice(FILLER_WORDS, int(rng.integers(2, 5))))
    after = " ".join(rng.choice(FILLER_WORDS, int(rng.integers(1, 4))))
    if topic_text is None:
        middle = " ".join(rng.choice(FILLER_WORDS, int(rng.integers(2, 5))))
    elif exact:
        middle = topic_text
    else:
        middle = " ".join(rng.choice(PARAPHRASE_WORDS, 4))
    return f"{before} {middle} {after} (line {serial})"


def _vector(line: Line, world: World, p: SpeechParams, rng: np.random.Generator) -> np.ndarray:
    geo = world.geometry
    n_topics = len(geo.topics)
    plain = np.zeros(geo.params.dim, np.float64)
    plain[0] = 1.0
    plain[1 : 1 + n_topics] = rng.normal(0.0, p.noise, n_topics)
    if line.topic != NOTHING:
        plain[1 + line.topic] += p.meaning
        for n in geo.topics[line.topic].neighbours:
            plain[1 + n] += p.meaning * p.neighbour_share
    plain /= np.linalg.norm(plain)
    return (geo.rotation @ plain).astype(np.float32)


class SpeechWorldEncoder(WorldEncoder):
    """The world encoder whose text tower also knows the world's lines (their planned vectors)."""

    def __init__(self, spoken: SpokenWorld) -> None:
        super().__init__(spoken.world.params)
        self._lines = spoken.vectors

    def encode_text(self, texts: list[str]) -> np.ndarray:
        known = [t for t in texts if t in self._lines]
        if not known:
            return super().encode_text(texts)
        return np.stack([self._lines[t] if t in self._lines else super().encode_text([t])[0] for t in texts])
