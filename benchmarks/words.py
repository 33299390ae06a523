"""Finding said words in a small multilingual world: R@1 by words for each kind of query, the lines
analysed (``vidseek.said.text_analysis``, the shipped code) against the lines as written (FTS5
``unicode61`` over the raw text, the query cut into letter-and-digit runs: vidseek before).

The world is a library of lines in English, Spanish, German, French, Portuguese, Japanese, Chinese
and Korean, each with its language tag; every query has one line it asks for (``WORLD``), among
near misses sharing some of its characters or words. A query scores at R@1 when the first line found
by words is that line. Categories: ``cjk`` (a word inside a line of Chinese, Japanese or Korean),
``inflection`` (another form of the word), ``accents`` (typed without them), ``numbers`` (decimals,
times, thousands, hyphenated phrases) and ``exact`` (the words as written: the control).

    python -m benchmarks.words [--postgres URL]

``--postgres`` runs both on that (empty, throw-away) PostgreSQL database too.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import tempfile
from pathlib import Path

import numpy as np

from vidseek.storage import cue_store, store
from vidseek.storage.db import open_sessions

WORLD = {
    "cjk": [
        ("東京駅", "明日の朝、東京駅の改札で待っています。", "ja"),
        ("面白い", "昨日見た映画は本当に面白いと思う。", "ja"),
        ("ラーメン", "駅前のラーメン屋はいつも行列だ。", "ja"),
        ("北京", "她下个月要去北京出差。", "zh"),
        ("苹果", "桌子上有三个苹果和一杯茶。", "zh"),
        ("학교", "동생은 아침 일찍 학교에 간다.", "ko"),
    ],
    "inflection": [
        ("running", "She runs along the river every day.", "en"),
        ("cooking", "We cooked pasta for the whole team.", "en"),
        ("bailar", "Anoche bailamos hasta muy tarde.", "es"),
        ("Kinder", "Das Kind spielt allein draußen.", "de"),
        ("chanter", "Elle chantait une vieille chanson.", "fr"),
        ("falar", "Eles falaram comigo ontem.", "pt"),
    ],
    "accents": [
        ("cafe", "Nous prenons un café au coin de la rue.", "fr"),
        ("manana", "Nos vemos mañana por la tarde.", "es"),
        ("uber das Projekt", "Wir sprechen später über das Projekt.", "de"),
        ("creme brulee", "Crème brûlée for dessert tonight.", None),
        ("sao paulo", "Ele mora em São Paulo há dez anos.", "pt"),
    ],
    "numbers": [
        ("3.5 million", "The bridge cost 3.5 million euros.", "en"),
        ("3.30pm", "The train leaves at 3.30pm sharp.", "en"),
        ('"a well-known sculptor"', "He was a well-known sculptor in Lyon.", "en"),
        ("1,000 people", "More than 1,000 people came to the square.", "en"),
    ],
    "exact": [
        ("deadline", "We missed the deadline again.", "en"),
        ('"red door"', "Knock twice on the red door.", "en"),
    ],
}
NEAR_MISSES = [
    ("京都の駅はとても混んでいた。", "ja"),
    ("白い犬が公園を走っている。", "ja"),
    ("メンバーが全員そろった。", "ja"),
    ("北方的冬天很冷。", "zh"),
    ("果汁很甜。", "zh"),
    ("교실이 조용하다.", "ko"),
    ("The river is quiet this morning.", "en"),
    ("The rung of the ladder broke.", "en"),
    ("Das Haus ist sehr alt.", "de"),
    ("Nous prenons le train demain.", "fr"),
    ("The bridge is 3 metres wide and 5 metres high.", "en"),
    ("At 3 o'clock, 30 people were waiting.", "en"),
    ("A sculptor who was well known in Lyon.", "en"),
    ("People came from 1 or 2 towns; 000 is a code.", "en"),
    ("The door was red and open.", "en"),
    ("Dead lines on the map.", "en"),
]


def lines() -> list[tuple[str, str | None]]:
    return [(text, lang) for items in WORLD.values() for _, text, lang in items] + NEAR_MISSES


def _shipped(url: str) -> dict[str, float]:
    sessions = open_sessions(url)
    try:
        with sessions() as session:
            store.claim_model("m", 2, session=session)
            vectors = np.ones((1, 2), np.float32)
            record = store.VideoRecord("/world.mp4", "world", 1, 1, "f", 60.0, 25.0, 64, 48, "h264", "m", 1.0, 2.0, 2.0)
            cues = [
                cue_store.CueRow(float(i), i + 0.5, text, "sidecar:world.srt", lang)
                for i, (text, lang) in enumerate(lines())
            ]
            store.replace_video(
                record, np.array([0.5]), vectors, [(0, 0, 0.0, 1.0)], vectors, session=session, cues=cues
            )
            session.commit()

        def first(query: str) -> str | None:
            with sessions() as session:
                hits = cue_store.search_cues(query, 1, session=session)
            return hits[0].text if hits else None

        return _recall(first)
    finally:
        sessions.kw["bind"].dispose()


_OLD_WORD = re.compile(r"[^\W_]+")
_OLD_TOKEN = re.compile(r'"([^"]*)"(\*?)|(\S+)')


def _as_written(path: Path) -> dict[str, float]:
    """The lines as written: FTS5 ``unicode61`` over the raw text, queries cut as vidseek cut them before."""
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE raw USING fts5(text, tokenize='unicode61 remove_diacritics 0')")
    db.executemany("INSERT INTO raw(text) VALUES (?)", [(text,) for text, _ in lines()])

    def first(query: str) -> str | None:
        terms = []
        for m in _OLD_TOKEN.finditer(query):
            quoted, _, bare = m.groups()
            words = [w.lower() for w in _OLD_WORD.findall(quoted if quoted is not None else bare)]
            if words:
                terms.append('"' + " ".join(words) + '"')
        row = db.execute("SELECT text FROM raw WHERE raw MATCH ? ORDER BY bm25(raw) LIMIT 1", (" AND ".join(terms),))
        found = row.fetchone()
        return found[0] if found else None

    try:
        return _recall(first)
    finally:
        db.close()


def _as_written_postgresql(url: str) -> dict[str, float]:
    """The lines as written on PostgreSQL: ``to_tsvector('simple', text)``, queries as vidseek wrote them before."""
    import psycopg

    db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    db.execute("CREATE TABLE raw_lines (text text)")
    with db.cursor() as cursor:
        cursor.executemany("INSERT INTO raw_lines VALUES (%s)", [(text,) for text, _ in lines()])

    def first(query: str) -> str | None:
        terms = []
        for m in _OLD_TOKEN.finditer(query):
            quoted, _, bare = m.groups()
            words = [f"'{w.lower()}'" for w in _OLD_WORD.findall(quoted if quoted is not None else bare)]
            if words:
                terms.append(words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")")
        found = db.execute(
            "SELECT text FROM raw_lines, to_tsquery('simple', %s) q WHERE to_tsvector('simple', text) @@ q "
            "ORDER BY ts_rank_cd(to_tsvector('simple', text), q) DESC LIMIT 1",
            (" & ".join(terms),),
        ).fetchone()
        return found[0] if found else None

    try:
        return _recall(first)
    finally:
        db.execute("DROP TABLE raw_lines")
        db.close()


def _recall(first) -> dict[str, float]:  # noqa: ANN001
    return {
        category: round(sum(first(query) == text for query, text, _ in items) / len(items), 3)
        for category, items in WORLD.items()
    }


def measure(postgres: str | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        rows = {
            "as_written_sqlite": _as_written(Path(tmp) / "raw.db"),
            "analysed_sqlite": _shipped(f"sqlite:///{Path(tmp) / 'vidseek.db'}"),
        }
    if postgres:
        rows["as_written_postgresql"] = _as_written_postgresql(postgres)
        rows["analysed_postgresql"] = _shipped(postgres)
    return {"lines": len(lines()), "queries": {c: len(items) for c, items in WORLD.items()}, "r1": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL to run on too")
    args = parser.parse_args()
    print(json.dumps(measure(args.postgres), indent=2))


if __name__ == "__main__":
    main()
