"""A synthetic video world with CLIP-like score statistics and known true moments (pure numpy).

The point is the narrow cosine band real CLIP-style models give: every text-image cosine lies
between about 0.12 and 0.36, a true match is only ~0.13 above unrelated footage, and shots,
hubs, related topics and single-frame glitches all move scores by amounts comparable to that.
A grounding method that works here has to cope with what real footage throws at it.

**Geometry.** Vectors are unit vectors in ``dim`` dimensions, built in a basis whose coordinate 0 is
a shared "modality gap" direction ``c``, coordinates ``1..T`` are one direction ``e_t`` per topic,
and the rest are private to images (never touched by a text vector); one random orthogonal
rotation is applied to everything at the end, so nothing is axis-aligned (cosines do not change).

- The query of topic ``t`` is ``q_t = a c + b e_t`` (``a^2 + b^2 = 1``).
- An image frame is ``u + sqrt(1 - |u|^2) p``: ``u`` lives in the text span (``c`` and the
  ``e_t``), ``p`` is a unit vector in the private span. Only ``u`` moves scores, so
  ``frame . q_t = u . q_t`` exactly and every target below is met by construction:

  ``u = alpha c``                                  an unrelated frame: ``a alpha`` = ``unrelated`` (0.17)
  ``  + beta e_t``                                 it shows topic ``t``: + ``b beta`` -> ``relevant`` (0.30)
  ``  + gamma e_n`` for each neighbour ``n``       a related topic scores ``neighbour`` (0.24) for ``q_t``
  ``  + z_video + z_shot + z_frame``               offsets shared by a video / a shot / one frame

  A hub shot has a larger ``alpha`` (``a alpha_hub`` uniform in ``hub +- hub_range``, 0.25-0.27):
  it scores high for EVERY query, as CLIP hubs do, with only a small query-specific offset
  (``hub_sigma``, 0.01) in place of the shot offset. A noise spike adds to one frame of an
  unrelated shot the ``e_t`` weight that makes it score ``spike`` (0.29) for ``q_t`` only.
- Each offset ``z`` is Gaussian in the text span with its ``c`` coordinate carrying a share
  ``shared_offset`` of its variance (an image that scores high for one query tends to score high
  for all) and the topic coordinates the rest; its effect on any query's score is then exactly
  ``N(0, sigma^2)``: ``video_sigma`` (0.01), ``shot_sigma`` (0.025), ``frame_sigma`` (0.008).
- ``p`` mixes a fixed image-mean direction (the image side of the modality gap), a per-video,
  a per-shot and a per-frame random direction, so frames of one shot have cosine ~0.93, shots of one
  video ~0.8, different videos ~0.48, like CLIP image embeddings; meanP of a clip therefore barely
  lengthens within a shot and more across a cut, as real pooling does.
- Cross-fades: at ``fade_rate`` of the shot changes, the last frame of one shot and/or the first of
  the next are replaced by normalised linear blends of the two (1 or 2 frames).

**Layout.** Videos are sampled at 1 frame/s (times ``0, 1, 2, ...``; duration = frame count), cut
into shots of 2-20 s. Each shot shows a topic or nothing in particular (hubs are among the latter).
Topics come in small clusters (2-3) of neighbours sharing a subject ("a dog ...").
An EVENT is a run of consecutive shots of one topic, 2-60 s, often several shots (so a true moment
has cuts inside it, each shot with its own offset), sometimes with a shot of a neighbour topic right
beside it (itself an event of that topic). Two events of one topic in one video are always at least
``twice_gap`` (8) s apart. Kinds of video:

- ``whole``: short (10-40 s), wholly one topic: the truth is the whole video;
- ``long_short``: 300-600 s with exactly one short (2-8 s) event;
- ``twice``: one topic twice, separated by at least 8 s of other material (two true moments);
- ``general``: 30-600 s (log-uniform), 0-4 events of distinct topics.

**Queries and truth.** One query per topic with at least one event; its truth is every event of
that topic, as ``search_api.evaluation.metrics.Span(video path, first frame time, last frame time + 1)``.

Everything is seeded: the same :class:`WorldParams` gives the same world, bit for bit. The topic
geometry (query vectors, the rotation) depends only on ``seed``, ``dim`` and ``topics``, so an
encoder can be rebuilt from those alone (:class:`WorldEncoder.for_params`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from search_api.evaluation.metrics import Span

# --- parameters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldParams:
    """Every knob of the world; the defaults are the benchmark's world."""

    seed: int = 0
    dim: int = 64
    topics: int = 40
    videos: int = 80
    # target cosines of a frame with a query
    relevant: float = 0.30
    unrelated: float = 0.17
    neighbour: float = 0.24
    hub: float = 0.26
    hub_range: float = 0.01
    """A hub shot's level is uniform in ``hub +- hub_range`` for every query ..."""
    hub_sigma: float = 0.01
    """... give or take a query-specific offset this big (hubs sit near the centre: little per-query spread)."""
    spike: float = 0.29
    # offsets (standard deviation of their effect on a score)
    video_sigma: float = 0.01
    shot_sigma: float = 0.025
    frame_sigma: float = 0.008
    shared_offset: float = 0.4
    """Share of each offset's variance common to all queries (the ``c`` coordinate)."""
    image_common: float = 0.425
    """``alpha``: an ordinary image's component on the shared direction ``c``."""
    # layout
    min_shot: int = 2
    max_shot: int = 20
    min_event: int = 2
    max_event: int = 60
    twice_gap: int = 8
    hub_rate: float = 0.04
    """Share of the filler shots that are hubs."""
    spike_rate: float = 1 / 300
    """Chance that a frame of an ordinary filler shot is a noise spike."""
    fade_rate: float = 0.3
    """Share of the shot changes with a 1-2 frame cross-fade."""
    distractor_rate: float = 0.3
    """Chance that an event gets a shot of a neighbour topic right beside it."""
    neighbours_both_sides: bool = False
    """Such an event gets neighbour-topic shots on both sides (a related scene around it, across cuts)."""
    whole_share: float = 0.05
    long_short_share: float = 0.10
    twice_share: float = 0.125

    def __post_init__(self) -> None:
        if self.dim < self.topics + 1 + 8:
            raise ValueError(f"dim {self.dim} leaves fewer than 8 private image dimensions for {self.topics} topics")

    @classmethod
    def tiny(cls, seed: int = 0) -> WorldParams:
        """A world of a few videos, for smoke tests (seconds to build and search)."""
        return cls(seed=seed, dim=32, topics=12, videos=12)


# --- topic geometry: query vectors and the rotation -----------------------------------------------

_SUBJECTS = (
    "a dog",
    "a red kite",
    "a chef",
    "a cyclist",
    "a steam train",
    "a child",
    "a sailboat",
    "a horse",
    "a drummer",
    "a skateboarder",
    "a crowd",
    "a fox",
    "an old man",
    "a helicopter",
    "a street market",
    "a waterfall",
    "a goalkeeper",
    "a tractor",
    "a ballet dancer",
    "a hot air balloon",
)
_ACTIONS = (
    "running across a field",
    "seen from above at dusk",
    "in heavy rain",
    "in close up, slow motion",
    "turning a corner",
    "on a crowded street",
    "against a bright blue sky",
    "at night under lights",
)


@dataclass(frozen=True)
class Topic:
    index: int
    text: str
    neighbours: tuple[int, ...]
    """Related topics (same cluster): their frames score ``neighbour`` for this topic's query."""


@dataclass(frozen=True)
class Geometry:
    """The parts of the world an encoder needs: query vectors, coefficients, the rotation."""

    params: WorldParams
    topics: tuple[Topic, ...]
    rotation: np.ndarray
    """Orthogonal (dim, dim): every vector is built in the plain basis and rotated by it."""
    image_mean: np.ndarray
    """Unit vector in the private span shared by all images (before rotation)."""

    @property
    def a(self) -> float:
        """Component of every query on the shared direction ``c``."""
        return self.params.unrelated / self.params.image_common

    @property
    def b(self) -> float:
        """Component of a query on its own topic direction."""
        return math.sqrt(1.0 - self.a**2)

    def weight_for(self, score: float) -> float:
        """Topic-direction weight that lifts an ordinary frame from ``unrelated`` to ``score``."""
        return (score - self.params.unrelated) / self.b

    def query_vector(self, topic: int) -> np.ndarray:
        """The text vector of topic ``topic`` (unit, rotated)."""
        plain = np.zeros(self.params.dim, np.float64)
        plain[0], plain[1 + topic] = self.a, self.b
        return (self.rotation @ plain).astype(np.float32)

    def generic_query(self) -> np.ndarray:
        """The vector of a text that names no topic: the shared direction alone."""
        plain = np.zeros(self.params.dim, np.float64)
        plain[0] = 1.0
        return (self.rotation @ plain).astype(np.float32)


def _clusters(n_topics: int, rng: np.random.Generator) -> list[list[int]]:
    """Topics cut into clusters of 2 or 3 (a lone topic joins the previous cluster)."""
    clusters, t = [], 0
    while t < n_topics:
        size = int(rng.integers(2, 4))
        clusters.append(list(range(t, min(t + size, n_topics))))
        t += size
    if len(clusters) > 1 and len(clusters[-1]) == 1:
        clusters[-2].extend(clusters.pop())
    return clusters


def _topics(n_topics: int, rng: np.random.Generator) -> tuple[Topic, ...]:
    """Readable, distinct query texts; a cluster shares its subject, so neighbours read alike."""
    topics: list[Topic] = []
    seen: set[str] = set()
    for ci, members in enumerate(_clusters(n_topics, rng)):
        subject = _SUBJECTS[ci % len(_SUBJECTS)]
        actions = rng.permutation(len(_ACTIONS))
        for k, t in enumerate(members):
            text = f"{subject} {_ACTIONS[int(actions[k % len(actions)])]}"
            while text in seen:
                text += " again"
            seen.add(text)
            topics.append(Topic(t, text, tuple(m for m in members if m != t)))
    return tuple(sorted(topics, key=lambda topic: topic.index))


def geometry_of(params: WorldParams) -> Geometry:
    """The topic geometry, from ``seed``, ``dim`` and ``topics`` only."""
    rng = np.random.default_rng([params.seed, params.dim, params.topics, 1])
    rotation, _ = np.linalg.qr(rng.standard_normal((params.dim, params.dim)))
    mean = np.zeros(params.dim)
    mean[params.topics + 1 :] = rng.standard_normal(params.dim - params.topics - 1)
    return Geometry(params, _topics(params.topics, rng), rotation, mean / np.linalg.norm(mean))


# --- layout: shots and events ---------------------------------------------------------------------

NOTHING = -1
"""Topic of a shot that shows nothing in particular."""


@dataclass(frozen=True)
class Shot:
    start: int
    """Index (= second) of its first frame."""
    length: int
    topic: int
    """A topic, or ``NOTHING``."""
    hub: bool = False


@dataclass(frozen=True)
class Event:
    """A true moment: a run of shots of one topic."""

    video: str
    topic: int
    start: float
    end: float
    shots: int
    kinds: tuple[str, ...]
    """Any of ``whole``, ``short_in_long``, ``twice``, ``multi_shot``, ``beside_neighbour``."""


def cut_into_shots(
    length: int, rng: np.random.Generator, lo: int = 2, hi: int = 20, prefer_many: bool = False
) -> list[int]:
    """Shot lengths in ``[lo, hi]`` summing to ``length`` (``length >= lo``; one shot when shorter
    than ``2 lo``). ``prefer_many`` favours several shots (events), otherwise few (filler)."""
    most = length // lo
    fewest = max(1, -(-length // hi))
    if most <= fewest:
        count = fewest
    elif prefer_many:
        count = int(rng.integers(fewest, max(fewest, min(most, length // 6 + 1)) + 1))
    else:
        count = int(rng.integers(fewest, min(most, fewest + 2) + 1))
    pieces = [lo] * count
    room = [hi - lo] * count
    for _ in range(length - lo * count):
        open_ = [i for i in range(count) if room[i] > 0]
        i = open_[int(rng.integers(len(open_)))]
        pieces[i] += 1
        room[i] -= 1
    return pieces


def _log_uniform_int(rng: np.random.Generator, lo: float, hi: float) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


class _TopicDeck:
    """Topics dealt in shuffled rounds, so every topic gets about as many events."""

    def __init__(self, n_topics: int, rng: np.random.Generator) -> None:
        self.n, self.rng, self.cards = n_topics, rng, []

    def deal(self, avoid: set[int]) -> int:
        for _ in range(2):
            for i, t in enumerate(self.cards):
                if t not in avoid:
                    return self.cards.pop(i)
            self.cards.extend(int(t) for t in self.rng.permutation(self.n))
        raise ValueError("every topic is already used in this video")


@dataclass
class _Block:
    """Consecutive events placed together (an event and the neighbour shot beside it)."""

    runs: list[tuple[int, int]]
    """(topic, length) runs, in order."""

    @property
    def length(self) -> int:
        return sum(length for _, length in self.runs)


def _event_blocks(
    topics: list[int], lengths: list[int], geo: Geometry, deck_used: set[int], rng: np.random.Generator
) -> list[_Block]:
    """One block per event, some with a neighbour-topic run beside it."""
    p = geo.params
    blocks = []
    for topic, length in zip(topics, lengths):
        runs = [(topic, length)]
        free = [n for n in geo.topics[topic].neighbours if n not in deck_used]
        if free and rng.random() < p.distractor_rate:
            other = free[int(rng.integers(len(free)))]
            deck_used.add(other)
            beside = (other, int(rng.integers(p.min_shot, 11)))
            if p.neighbours_both_sides:
                runs = [beside] + runs + [(other, int(rng.integers(p.min_shot, 11)))]
            else:
                runs = [beside] + runs if rng.random() < 0.5 else runs + [beside]
        blocks.append(_Block(runs))
    return blocks


def _gaps(n_frames: int, blocks: list[_Block], inner_min: int, rng: np.random.Generator, lo: int) -> list[int] | None:
    """Filler lengths before, between and after the blocks (0 or >= ``lo`` at the ends, >=
    ``inner_min`` between); None when the blocks do not fit."""
    if not blocks:
        return [n_frames]
    free = n_frames - sum(b.length for b in blocks) - inner_min * (len(blocks) - 1)
    if free < 0 or (len(blocks) == 1 and 0 < free < lo):
        return None
    weights = rng.dirichlet(np.ones(len(blocks) + 1))
    gaps = [int(x) for x in np.floor(weights * free)]
    gaps[int(rng.integers(len(gaps)))] += free - sum(gaps)
    gaps = [g + (inner_min if 0 < i < len(gaps) - 1 else 0) for i, g in enumerate(gaps)]
    return _no_short_ends(gaps, lo)


def _no_short_ends(gaps: list[int], lo: int) -> list[int]:
    """Filler at either end shorter than a shot is given to the nearest other filler."""
    if len(gaps) == 2:
        if 0 < min(gaps) < lo:
            keep = int(np.argmax(gaps))
            gaps = [sum(gaps) if i == keep else 0 for i in range(2)]
        return gaps
    for end, inner in ((0, 1), (-1, -2)):
        if 0 < gaps[end] < lo:
            gaps[inner] += gaps[end]
            gaps[end] = 0
    return gaps


def _filler(length: int, rng: np.random.Generator, p: WorldParams) -> list[tuple[int, bool]]:
    """(length, hub) of the shots of a stretch of nothing in particular."""
    return [(n, bool(rng.random() < p.hub_rate)) for n in cut_into_shots(length, rng, p.min_shot, p.max_shot)]


def _layout(
    n_frames: int, blocks: list[_Block], inner_min: int, rng: np.random.Generator, p: WorldParams
) -> list[Shot] | None:
    """Blocks placed in random order among filler, cut into shots; None when they do not fit."""
    order = [blocks[int(i)] for i in rng.permutation(len(blocks))]
    gaps = _gaps(n_frames, order, inner_min, rng, p.min_shot)
    if gaps is None:
        return None
    shots: list[Shot] = []
    at = 0

    def add(length: int, topic: int, hub: bool = False) -> None:
        nonlocal at
        shots.append(Shot(at, length, topic, hub))
        at += length

    for i, gap in enumerate(gaps):
        for length, hub in _filler(gap, rng, p) if gap else []:
            add(length, NOTHING, hub)
        if i < len(order):
            for topic, run in order[i].runs:
                for length in cut_into_shots(run, rng, p.min_shot, p.max_shot, prefer_many=True):
                    add(length, topic)
    return shots


@dataclass(frozen=True)
class _Plan:
    kind: str
    n_frames: int
    shots: list[Shot]


def _plan_whole(rng: np.random.Generator, deck: _TopicDeck, p: WorldParams) -> _Plan:
    n = int(rng.integers(10, 41))
    topic = deck.deal(set())
    shots, at = [], 0
    for length in cut_into_shots(n, rng, p.min_shot, p.max_shot, prefer_many=True):
        shots.append(Shot(at, length, topic))
        at += length
    return _Plan("whole", n, shots)


def _plan_with_events(
    kind: str,
    n: int,
    topics: list[int],
    lengths: list[int],
    inner_min: int,
    used: set[int],
    geo: Geometry,
    rng: np.random.Generator,
    distractors: bool = True,
) -> _Plan:
    """Lay out events, dropping the last ones until they fit in ``n`` frames."""
    p = geo.params
    while True:
        if distractors:
            blocks = _event_blocks(topics, lengths, geo, set(used), rng)
        else:
            blocks = [_Block([(t, n_)]) for t, n_ in zip(topics, lengths)]
        shots = _layout(n, blocks, inner_min, rng, p)
        if shots is not None:
            return _Plan(kind, n, shots)
        topics, lengths = topics[:-1], lengths[:-1]


def _plan_long_short(rng: np.random.Generator, deck: _TopicDeck, geo: Geometry) -> _Plan:
    n = int(rng.integers(300, 601))
    topic = deck.deal(set())
    return _plan_with_events(
        "long_short", n, [topic], [int(rng.integers(2, 9))], geo.params.min_shot, {topic}, geo, rng, distractors=False
    )


def _plan_twice(rng: np.random.Generator, deck: _TopicDeck, geo: Geometry) -> _Plan:
    p = geo.params
    n = _log_uniform_int(rng, 60, 400)
    topic = deck.deal(set())
    topics, used = [topic, topic], {topic}
    if n > 150:
        other = deck.deal(used | set(geo.topics[topic].neighbours))
        topics.append(other)
        used.add(other)
    lengths = [_log_uniform_int(rng, p.min_event, 30) for _ in topics]
    plan = _plan_with_events("twice", n, topics, lengths, p.twice_gap, used, geo, rng)
    return plan if sum(1 for run in _runs(plan.shots) if run[0] == topic) == 2 else _plan_twice(rng, deck, geo)


def _plan_general(rng: np.random.Generator, deck: _TopicDeck, geo: Geometry) -> _Plan:
    p = geo.params
    n = _log_uniform_int(rng, 30, 600)
    count = 0 if rng.random() < 0.08 else min(4, 1 + int(rng.poisson(n / 200)))
    used: set[int] = set()
    topics = []
    for _ in range(count):
        t = deck.deal(used)
        used.add(t)
        topics.append(t)
    lengths = [min(_log_uniform_int(rng, p.min_event, p.max_event), max(p.min_event, n // (2 * count))) for _ in topics]
    return _plan_with_events("general", n, topics, lengths, p.min_shot, used, geo, rng)


def _video_kinds(p: WorldParams) -> list[str]:
    """How many videos of each kind (at least one of each when there are four or more)."""

    def count(share: float) -> int:
        return max(1 if p.videos >= 4 else 0, round(share * p.videos))

    kinds = (
        ["whole"] * count(p.whole_share) + ["long_short"] * count(p.long_short_share) + ["twice"] * count(p.twice_share)
    )
    kinds = kinds[: p.videos]
    return kinds + ["general"] * (p.videos - len(kinds))


def _runs(shots: list[Shot]) -> Iterator[tuple[int, int, int, int]]:
    """(topic, first frame, end frame, shot count) of each maximal run of shots of one topic."""
    i = 0
    while i < len(shots):
        j = i
        while j + 1 < len(shots) and shots[j + 1].topic == shots[i].topic:
            j += 1
        if shots[i].topic != NOTHING:
            yield shots[i].topic, shots[i].start, shots[j].start + shots[j].length, j - i + 1
        i = j + 1


def _events_of(name: str, plan: _Plan) -> list[Event]:
    runs = list(_runs(plan.shots))
    events = []
    for _k, (topic, first, end, n_shots) in enumerate(runs):
        kinds = []
        if plan.kind == "whole":
            kinds.append("whole")
        if plan.kind == "long_short":
            kinds.append("short_in_long")
        if sum(1 for r in runs if r[0] == topic) > 1:
            kinds.append("twice")
        if n_shots > 1:
            kinds.append("multi_shot")
        if any(r[2] == first or r[1] == end for r in runs if r[0] != topic):
            kinds.append("beside_neighbour")
        events.append(Event(name, topic, float(first), float(end), n_shots, tuple(kinds)))
    return events


# --- vectors --------------------------------------------------------------------------------------

FRAME_PLAIN, FRAME_HUB, FRAME_SPIKE, FRAME_FADE = 0, 1, 2, 3
"""``WorldVideo.frame_kind`` values."""

_PRIVATE_MIX = {"image_mean": 0.5, "video": 0.22, "shot": 0.22, "frame": 0.06}
"""Variance shares of the private part: frames of a shot ~0.93 alike, of a video ~0.8, of two videos ~0.48."""


class _VectorMaker:
    """Draws one video's frame vectors in the plain basis (rotation applied by the caller)."""

    def __init__(self, geo: Geometry, rng: np.random.Generator) -> None:
        self.geo, self.rng, self.p = geo, rng, geo.params
        self.span = self.p.topics + 1
        self.private = self.p.dim - self.span

    def offset(self, sigma: float, n: int = 1, shared: float | None = None) -> np.ndarray:
        """``n`` offsets in the text span whose effect on every query's score is ``N(0, sigma^2)``,
        a share ``shared`` (default ``shared_offset``) of its variance common to all queries."""
        shared = self.p.shared_offset if shared is None else shared
        z = np.empty((n, self.span))
        z[:, 0] = self.rng.normal(0, math.sqrt(shared) * sigma / self.geo.a, n)
        z[:, 1:] = self.rng.normal(0, math.sqrt(1 - shared) * sigma / self.geo.b, (n, self.span - 1))
        return z

    def shot_offset(self, shot: Shot) -> np.ndarray:
        """A shot's own offset; a hub's is query-specific only (its level is set by ``signal``)."""
        if shot.hub:
            return self.offset(self.p.hub_sigma, shared=0.0)[0]
        return self.offset(self.p.shot_sigma)[0]

    def private_direction(self) -> np.ndarray:
        v = self.rng.standard_normal(self.private)
        return v / np.linalg.norm(v)

    def signal(self, shot: Shot) -> np.ndarray:
        """The shot's content in the text span: the shared direction, its topic and the topic's neighbours."""
        u = np.zeros(self.span)
        if shot.hub:
            u[0] = (self.p.hub + self.rng.uniform(-self.p.hub_range, self.p.hub_range)) / self.geo.a
        else:
            u[0] = self.p.image_common
        if shot.topic != NOTHING:
            u[1 + shot.topic] = self.geo.weight_for(self.p.relevant)
            for n in self.geo.topics[shot.topic].neighbours:
                u[1 + n] = self.geo.weight_for(self.p.neighbour)
        return u

    def frames(self, shots: list[Shot], n_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """(frame vectors (n, dim) in the plain basis, frame kinds) of one video, before cross-fades."""
        p, mix = self.p, _PRIVATE_MIX
        text_part = np.empty((n_frames, self.span))
        private = np.empty((n_frames, self.private))
        kinds = np.zeros(n_frames, np.int8)
        video_offset = self.offset(p.video_sigma)[0]
        video_dir = self.private_direction()
        mean_dir = self.geo.image_mean[self.span :]
        for shot in shots:
            rows = slice(shot.start, shot.start + shot.length)
            text_part[rows] = (
                self.signal(shot) + video_offset + self.shot_offset(shot) + self.offset(p.frame_sigma, shot.length)
            )
            shot_dir = self.private_direction()
            frame_dirs = self.rng.standard_normal((shot.length, self.private))
            frame_dirs /= np.linalg.norm(frame_dirs, axis=1, keepdims=True)
            private[rows] = (
                math.sqrt(mix["image_mean"]) * mean_dir
                + math.sqrt(mix["video"]) * video_dir
                + math.sqrt(mix["shot"]) * shot_dir
                + math.sqrt(mix["frame"]) * frame_dirs
            )
            kinds[rows] = FRAME_HUB if shot.hub else FRAME_PLAIN
            if shot.topic == NOTHING and not shot.hub:
                self._spikes(text_part[rows], kinds[rows])
        return self._assemble(text_part, private), kinds

    def _spikes(self, text_part: np.ndarray, kinds: np.ndarray) -> None:
        """Rare frames of an unrelated shot that score like a relevant one for one random topic."""
        for i in np.flatnonzero(self.rng.random(len(kinds)) < self.p.spike_rate):
            text_part[i, 1 + int(self.rng.integers(self.p.topics))] += self.geo.weight_for(self.p.spike)
            kinds[i] = FRAME_SPIKE

    @staticmethod
    def _assemble(text_part: np.ndarray, private: np.ndarray) -> np.ndarray:
        """Unit vectors whose text-span part is exactly ``text_part``."""
        norm2 = (text_part**2).sum(axis=1)
        if norm2.max() >= 0.99:
            raise ValueError("the text-span part of a frame is too long; lower the score targets")
        private = private / np.linalg.norm(private, axis=1, keepdims=True)
        return np.hstack([text_part, private * np.sqrt(1.0 - norm2)[:, None]])

    def cross_fade(self, vectors: np.ndarray, kinds: np.ndarray, shots: list[Shot]) -> None:
        """Blend frames across some shot changes in place (1 or 2 frames, linear, renormalised)."""
        for after in shots[1:]:
            if self.rng.random() >= self.p.fade_rate:
                continue
            last, first = after.start - 1, after.start
            a, b = vectors[last].copy(), vectors[first].copy()
            if self.rng.random() < 0.5:
                blends = {first: 0.5}
            else:
                blends = {last: 2 / 3, first: 1 / 3}
            for i, weight_of_before in blends.items():
                mixed = weight_of_before * a + (1 - weight_of_before) * b
                vectors[i] = mixed / np.linalg.norm(mixed)
                kinds[i] = FRAME_FADE


# --- the world ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldVideo:
    name: str
    """Its path in a library: ``/world/video_007.mp4`` (no such file; search does not need one)."""
    kind: str
    times: np.ndarray
    """float64 seconds, 0, 1, 2, ..."""
    frames: np.ndarray
    """float32 (n, dim), unit rows."""
    duration: float
    shots: tuple[Shot, ...]
    frame_topic: np.ndarray
    """Topic of each frame's shot (``NOTHING`` for none)."""
    frame_shot: np.ndarray
    """Index into ``shots`` of each frame."""
    frame_kind: np.ndarray
    """``FRAME_PLAIN``, ``FRAME_HUB``, ``FRAME_SPIKE`` or ``FRAME_FADE``."""


@dataclass(frozen=True)
class Query:
    text: str
    topic: int
    vector: np.ndarray


@dataclass(frozen=True)
class World:
    params: WorldParams
    geometry: Geometry
    videos: list[WorldVideo]
    queries: list[Query]
    truths: dict[str, list[Span]]
    """Query text -> every true moment of it."""
    events: list[Event] = field(default_factory=list)

    @property
    def encoder_name(self) -> str:
        return WorldEncoder.name_for(self.params)

    def video(self, name: str) -> WorldVideo:
        return next(v for v in self.videos if v.name == name)


def _plan(kind: str, rng: np.random.Generator, deck: _TopicDeck, geo: Geometry) -> _Plan:
    if kind == "whole":
        return _plan_whole(rng, deck, geo.params)
    if kind == "long_short":
        return _plan_long_short(rng, deck, geo)
    if kind == "twice":
        return _plan_twice(rng, deck, geo)
    return _plan_general(rng, deck, geo)


def _make_video(index: int, plan: _Plan, geo: Geometry) -> WorldVideo:
    p = geo.params
    maker = _VectorMaker(geo, np.random.default_rng([p.seed, 3, index]))
    plain, kinds = maker.frames(plan.shots, plan.n_frames)
    maker.cross_fade(plain, kinds, plan.shots)
    frame_shot = np.repeat(np.arange(len(plan.shots)), [s.length for s in plan.shots])
    frame_topic = np.array([plan.shots[i].topic for i in frame_shot], np.int64)
    vectors = (plain @ geo.rotation.T).astype(np.float32)
    return WorldVideo(
        f"/world/video_{index:03d}.mp4",
        plan.kind,
        np.arange(plan.n_frames, dtype=np.float64),
        vectors,
        float(plan.n_frames),
        tuple(plan.shots),
        frame_topic,
        frame_shot,
        kinds,
    )


def build_world(params: WorldParams | None = None) -> World:
    """The world of ``params`` (default: the benchmark's), deterministically."""
    p = params or WorldParams()
    geo = geometry_of(p)
    layout_rng = np.random.default_rng([p.seed, 2])
    deck = _TopicDeck(p.topics, layout_rng)
    kinds = [_video_kinds(p)[int(i)] for i in layout_rng.permutation(p.videos)]
    videos, events = [], []
    for i, kind in enumerate(kinds):
        plan = _plan(kind, layout_rng, deck, geo)
        video = _make_video(i, plan, geo)
        videos.append(video)
        events.extend(_events_of(video.name, plan))
    topics_with_events = sorted({e.topic for e in events})
    queries = [Query(geo.topics[t].text, t, geo.query_vector(t)) for t in topics_with_events]
    truths = {q.text: [Span(e.video, e.start, e.end) for e in events if e.topic == q.topic] for q in queries}
    return World(p, geo, videos, queries, truths, events)


# --- the encoder and loading into a library -------------------------------------------------------


class WorldEncoder:
    """Encodes the world's query texts to their vectors (vidseek's encoder interface).

    ``encode_frames`` is never used (the world has no pixels) and returns zeros; a text that names
    no topic gets the shared direction alone (it scores every frame alike, ~``unrelated`` to ``hub``).
    """

    input_size = (32, 32)

    def __init__(self, params: WorldParams | None = None) -> None:
        self.geometry = geometry_of(params or WorldParams())
        self.name = self.name_for(self.geometry.params)
        self.dim = self.geometry.params.dim
        self._vectors = {t.text: self.geometry.query_vector(t.index) for t in self.geometry.topics}

    @staticmethod
    def name_for(params: WorldParams) -> str:
        return f"world:moments-v1:d{params.dim}:t{params.topics}:s{params.seed}"

    def encode_text(self, texts: list[str]) -> np.ndarray:
        generic = self.geometry.generic_query()
        return (
            np.stack([self._vectors.get(t, generic) for t in texts]).astype(np.float32)
            if texts
            else np.zeros((0, self.dim), np.float32)
        )

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        return np.zeros((len(frames), self.dim), np.float32)


CLIP_SECONDS, CLIP_STRIDE, STEP = 4.0, 2.0, 1.0
"""The indexer's defaults: 4 s clips every 2 s over frames 1 s apart."""


@dataclass(frozen=True)
class StoredClips:
    """One video's clips as the indexer stores them: (first, last, start, end) and meanP vectors."""

    windows: list[tuple[int, int, float, float]]
    vectors: np.ndarray


def clips_of(video: WorldVideo) -> StoredClips:
    """The clips the indexer would store for ``video`` (``clip_windows`` + ``pool_windows``)."""
    from indexer.sample import clip_windows
    from vidseek.vectors.pool import pool_windows

    windows = clip_windows(
        video.times, clip_seconds=CLIP_SECONDS, stride=CLIP_STRIDE, step=STEP, duration=video.duration
    )
    return StoredClips(
        [(w.first, w.last, w.start, w.end) for w in windows],
        pool_windows(video.frames, [(w.first, w.last) for w in windows]),
    )


def video_record(video: WorldVideo, index: int, model_name: str, shots: str | None = None):  # noqa: ANN201
    """The row (``vidseek.storage.store.VideoRecord``) the indexer would write for ``video``; ``shots``: its
    cuts as stored (None: a library indexed before shots were detected)."""
    from vidseek.storage.store import VideoRecord

    return VideoRecord(
        path=video.name,
        title=video.name.rsplit("/", 1)[-1].removesuffix(".mp4"),
        size=10_000 + index,
        mtime_ns=(index + 1) * 10**9,
        fingerprint=f"world{index:059d}",
        duration=video.duration,
        fps=25.0,
        width=64,
        height=36,
        codec="h264",
        model_name=model_name,
        sample_fps=1.0 / STEP,
        clip_seconds=CLIP_SECONDS,
        clip_stride=CLIP_STRIDE,
        shots=shots,
    )


def load_into(library, world: World, model_name: str | None = None, shots=None) -> list[StoredClips]:  # noqa: ANN001
    """Write every video of ``world`` into a vidseek ``Library`` exactly as the indexer would, and
    save the FAISS file. ``model_name`` defaults to the world encoder's name (what a
    ``SearchEngine`` with :class:`WorldEncoder` needs). ``shots``: a function of a video giving its cuts
    as stored (``vidseek.shots.cuts_text``); without it no video has shots. Returns each video's stored
    clips."""
    from vidseek.storage import store

    model_name = model_name or world.encoder_name
    with library.sessions() as session:
        store.claim_model(model_name, world.params.dim, session=session)
        session.commit()
    stored = []
    for i, video in enumerate(world.videos):
        clips = clips_of(video)
        record = video_record(video, i, model_name, None if shots is None else shots(video))
        library.write_video(record, video.times, video.frames, clips.windows, clips.vectors)
        stored.append(clips)
    library.save_index(force=True)
    return stored
