"""Said lines found by meaning with a real text model: paraphrases, exact words, and phrases said nowhere.

No CLIP weights can be fetched on this machine, so the meaning path is measured with a real text
embedding model that installs offline: WordLlama (``wordllama`` on PyPI, MIT; its 256-d
``l2_supercat`` weights ship inside the wheel). It stands in for the library's CLIP text tower as
the model of the lines' vectors and of the query's; what is measured is vidseek's own stage that
decides which lines enter ``speech`` (``search_api.search.lines.said_lines``: words by full text,
meaning by ``cue_meaning``, one ranking, a line said again in a video once).

The library (SQLite, or PostgreSQL with ``--postgres``): ``VIDEOS`` ten-minute videos of English
lines, a line every ~8 s. Most are everyday filler (``FILLER_*`` combined: ~1,400 different lines,
many said more than once) and a few common lines said again and again in many videos ("I'm not sure
about this."); each topic of ``TOPICS`` is said once, in one video, in its own words. Queries:

- ``exact``: a topic's own words (``TOPICS[i][1]``): found by words;
- ``paraphrase``: the same topic in other words, no content word shared (``TOPICS[i][2]``);
- ``never said``: a phrase about something no line is about (``NEVER_SAID``).

Variants: see ``VARIANTS``.

The topics, paraphrases and never-said phrases were written before anything was measured and not
changed after. Reported per variant: R@1 of exact and paraphrase queries (the first line is the
topic's line), unrelated lines among a said query's top 10 (every line but the topic's), and the
lines a never-said query gets (target 0) and how many of them get any. Each is reported for the set
rules were chosen on (``set``: ``TOPICS``, ``NEVER_SAID``) and apart for two held-out sets
(``held_out``: ``HELD_OUT_PARAPHRASES``, ``HELD_OUT_NEVER_SAID``; ``held_out_b``: ``HELD_OUT_B_*``).

    python -m benchmarks.paraphrase [--postgres URL]

``--postgres`` runs on that (empty, throw-away) PostgreSQL database too, a SQLAlchemy URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/DB``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import numpy as np

from benchmarks import meaning_rules
from search_api.http.schemas import TextSearch
from search_api.search import cue_meaning, lines
from search_api.search.cue_meaning import CueMatrices
from vidseek.config import Settings
from vidseek.said import cue_vectors
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library
from vidseek.storage.store import VideoRecord

TOPICS = [
    ("The dog caught the frisbee on the beach.", "frisbee on the beach", "a puppy grabbing a flying disc by the sea"),
    ("She runs five miles every morning before work.", "runs every morning", "jogging at dawn daily"),
    ("I cooked pasta for the whole family tonight.", "cooked pasta", "prepared a meal of noodles"),
    ("The car would not start, so we called a mechanic.", "car would not start", "the automobile broke down"),
    ("Our flight to Lisbon was delayed by three hours.", "flight delayed", "the plane took off late"),
    ("The doctor said the surgery went well.", "surgery went well", "the operation was a success"),
    ("We planted tomatoes and basil in the garden.", "planted tomatoes", "growing vegetables and herbs"),
    ("The kids built a snowman in the backyard.", "built a snowman", "children playing outside in winter"),
    ("He proposed to her at the top of the Eiffel Tower.", "Eiffel Tower", "he asked her to marry him in Paris"),
    ("The concert was so loud my ears are still ringing.", "concert so loud", "the music show was deafening"),
    ("I lost my wallet on the train this morning.", "lost my wallet", "misplaced a purse on the subway"),
    ("The baby finally fell asleep after midnight.", "baby fell asleep", "the infant slept late at night"),
    ("Our team won the championship in overtime.", "won the championship", "victory in the final match"),
    (
        "The storm knocked out the power for two days.",
        "storm knocked out the power",
        "electricity outage after bad weather",
    ),
    ("She is learning to play the violin.", "learning the violin", "taking lessons on a string instrument"),
    ("We adopted a kitten from the animal shelter.", "adopted a kitten", "bringing home a rescued cat"),
]
"""(the line said, an exact query, a paraphrase sharing no content word with the line)."""

NEVER_SAID = [
    "zebra crossing",
    "volcano eruption",
    "stock market crash",
    "knitting a sweater",
    "scuba diving with sharks",
    "chess tournament",
    "wedding cake",
    "hot air balloon",
    "lawn mower",
    "solar eclipse",
]

HELD_OUT_PARAPHRASES = [
    (0, "hound leaping to snag a disc at the seaside"),
    (3, "our vehicle's engine refused to turn over"),
    (4, "the airliner departure to Portugal was postponed"),
    (5, "the physician reported the procedure was successful"),
    (9, "a live gig that was painfully noisy"),
    (11, "the newborn dozed off in the small hours"),
    (13, "a gale caused a blackout lasting forty-eight hours"),
    (14, "she takes fiddle classes"),
    (15, "giving a home to a young cat from a rescue"),
    (6, "sowing seeds for salad greens and herbs in the yard"),
    (12, "the squad clinched the title in extra time"),
    (8, "he popped the question atop a famous Parisian landmark"),
]
"""Held out: (index into ``TOPICS``, a new paraphrase sharing no content word with the line), written
with ``HELD_OUT_NEVER_SAID`` before any rule that replaces the chance tail was measured, and reported
apart from ``TOPICS``' paraphrases (the set the rule was chosen on)."""

HELD_OUT_NEVER_SAID = [
    "flat tyre on the motorway",
    "baking sourdough bread",
    "piano recital",
    "dentist appointment",
    "basketball practice",
    "hiking up a mountain",
    "goldfish in an aquarium",
    "skiing holiday in the Alps",
    "earthquake damage",
    "missed the bus to school",
    "ancient Egyptian pyramids",
    "quantum physics lecture",
    "birthday candles",
    "fishing trip on a lake",
]
"""Held out: phrases no line is about, most near a said topic (a flat tyre near the car that would not
start, bread near pasta, a piano recital near the concert and the violin, the dentist near the
surgery, basketball near the championship, hiking near running, a goldfish near the kitten, skiing
near the snowman, an earthquake near the storm, the bus near the flight and the train) and four
far from all; written with ``HELD_OUT_PARAPHRASES``, reported apart from ``NEVER_SAID``."""

HELD_OUT_B_PARAPHRASES = [
    (1, "she goes for a long jog each day at sunrise"),
    (2, "made spaghetti for everybody at dinner"),
    (7, "the youngsters made a figure out of snow"),
    (10, "my billfold went missing during my commute by rail"),
    (13, "the tempest cut our electricity"),
    (4, "our plane to Portugal left hours behind schedule"),
]
"""A second held-out set, written after ``standing_apart`` had been measured on ``HELD_OUT_*`` and
before any later rule was: (index into ``TOPICS``, a paraphrase)."""

HELD_OUT_B_NEVER_SAID = [
    "a nurse gave me a vaccine",
    "the motorbike ran out of fuel",
    "grilling burgers on a barbecue",
    "a cello solo",
    "the toddler learned to walk",
    "a hailstorm dented the roof",
    "a hamster escaped from its cage",
    "tennis match point",
]
"""A second held-out set of phrases no line is about, all near a said topic; see ``HELD_OUT_B_PARAPHRASES``."""

FILLER_WHO = [
    "I",
    "We",
    "They",
    "My brother",
    "Our neighbour",
    "The manager",
    "Everyone",
    "Nobody",
    "My friend",
    "The teacher",
]
FILLER_DID = [
    "will call you",
    "needs to finish the report",
    "was talking about the meeting",
    "forgot the keys",
    "is waiting outside",
    "wants more coffee",
    "has to leave early",
    "never reads the emails",
    "moved to a new apartment",
    "is painting the kitchen",
    "checked the schedule",
    "bought new shoes",
    "asked about the budget",
    "fixed the printer",
    "cleaned the windows",
    "watched the news",
]
FILLER_WHEN = [
    "today.",
    "yesterday.",
    "next week.",
    "again.",
    "after lunch.",
    "tomorrow morning.",
    "on Friday.",
    "last night.",
    ".",
]
COMMON = ["I'm not sure about this.", "Okay, let's go.", "Thank you so much.", "What do you mean?", "Can you hear me?"]
VIDEOS = 40
DURATION = 600.0
LINE_EVERY = 8.0
COMMON_SHARE = 0.08
"""Share of lines that are one of ``COMMON``."""
TOP = 10
MODEL = "wordllama-l2-supercat-256"


class WordLlamaText:
    """WordLlama as a text tower: ``name``, ``dim`` and ``encode_text`` as vidseek's encoders have."""

    name = MODEL
    dim = 256

    def __init__(self) -> None:
        import wordllama

        # The weights and tokenizer ship in the wheel; pointing the cache at the package finds them
        # without a download.
        self._model = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)

    def encode_text(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)


def said(seed: int = 0) -> dict[str, list[tuple[float, str]]]:
    """Every video's lines: (start second, text)."""
    rng = random.Random(seed)
    filler = [
        f"{who} {did} {when}".replace(" .", ".")
        for who, did, when in itertools.product(FILLER_WHO, FILLER_DID, FILLER_WHEN)
    ]
    videos = {f"/world/talk{i:02d}.mp4": [] for i in range(VIDEOS)}
    for out in videos.values():
        t = rng.uniform(0, LINE_EVERY)
        while t < DURATION - 4:
            out.append((round(t, 2), rng.choice(COMMON) if rng.random() < COMMON_SHARE else rng.choice(filler)))
            t += rng.uniform(0.5, 1.5) * LINE_EVERY
    names = list(videos)
    for line, _, _ in TOPICS:
        out = videos[rng.choice(names)]
        place = rng.randrange(len(out))
        out[place] = (out[place][0], line)
    return videos


def load(library: Library, encoder: WordLlamaText, seed: int) -> None:
    with library.sessions() as session:
        store.claim_model(encoder.name, encoder.dim, session=session)
        session.commit()
    rng = np.random.default_rng(seed)
    for i, (path, spoken) in enumerate(said(seed).items()):
        record = VideoRecord(
            path=path, title=Path(path).stem, size=1000 + i, mtime_ns=(i + 1) * 10**9,
            fingerprint=f"talk{i:060d}", duration=DURATION, fps=25.0, width=64, height=36, codec="h264",
            model_name=encoder.name, sample_fps=1.0, clip_seconds=4.0, clip_stride=2.0,
        )  # fmt: skip
        frame = rng.standard_normal((1, encoder.dim)).astype(np.float32)
        library.write_video(record, np.array([0.0]), frame, [(0, 0, 0.0, 4.0)], frame)
        with library.sessions() as session:
            video_id = next(v.id for v in store.list_videos(session=session) if v.path == path)
            rows = [cue_store.CueRow(t, t + 2.5, text, "sidecar:talk.en.srt", "en") for t, text in spoken]
            cue_store.write_cues(video_id, rows, replacing="all", session=session)
            session.commit()
    cue_vectors.fill(library, encoder)


@contextmanager
def _variant(name: str) -> Iterator[None]:
    kept = lines.meaning_matches, cue_meaning.TAIL_BAR
    if name == "words":
        lines.meaning_matches = lambda *a, **k: []  # noqa: ARG005
    cue_meaning.TAIL_BAR = name != "meaning_normal_tail"
    try:
        with (
            meaning_rules.tail_margin(MARGINS.get(name, 0.0)),
            meaning_rules.apart() if name == "meaning_apart" else nullcontext(),
        ):
            yield
    finally:
        lines.meaning_matches, cue_meaning.TAIL_BAR = kept


MARGINS = {"meaning_tail_10pct": 1.0, "meaning_tail_5pct": math.log10(20)}
"""Decades of the query's own tail above ``chance_best`` (``benchmarks.meaning_rules.tail_margin``)."""

VARIANTS = ("words", "meaning_normal_tail", "meaning", "meaning_apart", "meaning_tail_10pct", "meaning_tail_5pct")
"""``words``: lines by their words only (meaning off); ``meaning_normal_tail``: by words and meaning, a
meaning match barred by the normal model's chance tail and ``MARGIN_Z``; ``meaning``: the shipped bars
(``cue_meaning.chance_best`` too). Not shipped (``benchmarks.meaning_rules``): ``meaning_apart``, the
matches must stand twice as high above the tail's start as the best line left out;
``meaning_tail_10pct`` / ``_5pct``: the chance bar raised to where an unrelated line clears it about
10 % / 5 % of the time."""


def _scores(found, said: list[tuple[str, str, bool]], never: list[str]) -> dict[str, float]:  # noqa: ANN001
    """R@1 of exact and paraphrase queries, unrelated lines per said query, lines per never-said phrase."""
    exact = paraphrase = unrelated = silent = 0
    for line, query, is_exact in said:
        got = found(query)
        first = bool(got) and got[0] == line
        exact += first and is_exact
        paraphrase += first and not is_exact
        unrelated += sum(1 for text in got if text != line)
    for query in never:
        silent += len(found(query))
    exacts = sum(1 for *_, is_exact in said if is_exact)
    out = {"exact_r1": round(exact / exacts, 3)} if exacts else {}
    out["paraphrase_r1"] = round(paraphrase / (len(said) - exacts), 3)
    out["unrelated_per_query"] = round(unrelated / len(said), 2)
    out["lines_never_said"] = round(silent / len(never), 2)
    out["never_said_answered"] = sum(1 for query in never if found(query))
    return out


def run_variant(library: Library, encoder: WordLlamaText, name: str) -> dict[str, dict[str, float]]:
    matrices = CueMatrices()

    def found(query: str) -> list[str]:
        filters = TextSearch(q=query, modality="speech", limit=TOP)
        vector = encoder.encode_text([query])[0]
        cues, _ = lines.said_lines(library, matrices, encoder.name, filters, vector, wanted=None)
        return [c.text for c in cues[:TOP]]

    chosen_on = [(line, q, True) for line, q, _ in TOPICS] + [(line, q, False) for line, _, q in TOPICS]
    held_out = [(TOPICS[i][0], q, False) for i, q in HELD_OUT_PARAPHRASES]
    held_out_b = [(TOPICS[i][0], q, False) for i, q in HELD_OUT_B_PARAPHRASES]
    with _variant(name):
        return {
            "set": _scores(found, chosen_on, NEVER_SAID),
            "held_out": _scores(found, held_out, HELD_OUT_NEVER_SAID),
            "held_out_b": _scores(found, held_out_b, HELD_OUT_B_NEVER_SAID),
        }


def measure(seed: int = 0, database_url: str | None = None) -> dict[str, object]:
    encoder = WordLlamaText()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), model=encoder.name, database_url=database_url)
        library = Library(settings, notify=lambda m: None)
        load(library, encoder, seed)
        with library.sessions() as session:
            count = cue_vectors.count(encoder.name, session=session)
        rows = {name: run_variant(library, encoder, name) for name in VARIANTS}
    return {
        "lines": count,
        "topics": len(TOPICS),
        "never_said": len(NEVER_SAID),
        "held_out_paraphrases": len(HELD_OUT_PARAPHRASES),
        "held_out_never_said": len(HELD_OUT_NEVER_SAID),
        "held_out_b_paraphrases": len(HELD_OUT_B_PARAPHRASES),
        "held_out_b_never_said": len(HELD_OUT_B_NEVER_SAID),
        "variants": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL to run on too")
    args = parser.parse_args()
    out = {"sqlite": measure(args.seed)}
    if args.postgres:
        out["postgresql"] = measure(args.seed, args.postgres)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
