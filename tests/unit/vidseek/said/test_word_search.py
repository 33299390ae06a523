"""Said words found as a search engine finds them, on SQLite and PostgreSQL alike: inflections by the
line's language, accents and case folded, Chinese, Japanese and Korean words inside lines, decimals,
times and hyphenated words in phrases; existing libraries re-analysed by migration 0007."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from pg_databases import fresh_databases
from sqlalchemy.orm import Session, sessionmaker

from vidseek.storage import cue_store, store
from vidseek.storage.db import alembic_config, open_sessions

LINES = [
    ("She runs every morning before work.", "en"),
    ("I cooked dinner for everyone yesterday.", "eng"),
    ("On se retrouve au café demain.", "fr"),
    ("Los niños estaban corriendo en el parque.", "es"),
    ("Die Häuser hier sind sehr alt.", "ger"),
    ("明日は東京駅で会いましょう。", "ja"),
    ("この映画は面白いですね", "ja"),
    ("ラーメンが食べたいな", "jpn"),
    ("我们明天去北京看看。", "zh"),
    ("他每天都吃一个苹果。", "zh-Hans"),
    ("우리는 내일 학교에 갑니다", "ko"),
    ("The price went up to 3.5 million dollars.", "en"),
    ("Meet me at 3.30pm by the gate.", "en"),
    ("He was a well-known sculptor in the city.", "en"),
    ("Crème brûlée for dessert", None),
    ("Ele mora em São Paulo há dez anos.", "pt-BR"),
    ("I'm not sure about this.", "en"),
]

QUERIES = {  # query -> the lines it finds (by words)
    "東京駅": ["明日は東京駅で会いましょう。"],
    "面白い": ["この映画は面白いですね"],
    "ラーメン": ["ラーメンが食べたいな"],
    "北京": ["我们明天去北京看看。"],
    "苹果": ["他每天都吃一个苹果。"],
    "駅": ["明日は東京駅で会いましょう。"],  # one character: every word holding it
    "학교": ["우리는 내일 학교에 갑니다"],
    "京都": [],  # 京 and 都 are said, 京都 is not
    "running": ["She runs every morning before work."],
    "cooking": ["I cooked dinner for everyone yesterday."],
    "corren": ["Los niños estaban corriendo en el parque."],
    "Haus": ["Die Häuser hier sind sehr alt."],
    "cafe": ["On se retrouve au café demain."],
    "NIÑOS": ["Los niños estaban corriendo en el parque."],
    "creme brulee": ["Crème brûlée for dessert"],
    "sao paulo": ["Ele mora em São Paulo há dez anos."],
    "3.5 million": ["The price went up to 3.5 million dollars."],
    '"3.5 million"': ["The price went up to 3.5 million dollars."],
    "3.30pm": ["Meet me at 3.30pm by the gate."],
    '"a well-known sculptor"': ["He was a well-known sculptor in the city."],
    "well-known": ["He was a well-known sculptor in the city."],
    '"known sculptor"': ["He was a well-known sculptor in the city."],
    '"sculptor well-known"': [],
    "zebra crossing": [],
    "mornings*": ["She runs every morning before work."],
    "sculp*": ["He was a well-known sculptor in the city."],
}


def _write_lines(sessions: sessionmaker[Session], lines: list[tuple[str, str | None]]) -> None:
    with sessions() as session:
        store.claim_model("m", 4, session=session)
        record = store.VideoRecord(
            path="/talk.mp4",
            title="talk",
            size=1,
            mtime_ns=1,
            fingerprint="f",
            duration=60.0,
            fps=25.0,
            width=64,
            height=48,
            codec="h264",
            model_name="m",
            sample_fps=1.0,
            clip_seconds=2.0,
            clip_stride=2.0,
        )
        vectors = np.ones((2, 4), np.float32)
        cues = [
            cue_store.CueRow(2.0 * i, 2.0 * i + 1, text, "sidecar:talk.srt", lang)
            for i, (text, lang) in enumerate(lines)
        ]
        store.replace_video(
            record, np.array([0.5, 1.5]), vectors, [(0, 1, 0.0, 2.0)], vectors[:1], session=session, cues=cues
        )
        session.commit()


def _found(sessions: sessionmaker[Session], query: str) -> list[str]:
    with sessions() as session:
        return sorted(h.text for h in cue_store.search_cues(query, 50, session=session))


@pytest.fixture
def both(tmp_path: Path) -> Iterator[dict[str, sessionmaker[Session]]]:
    """The same lines in a SQLite library and in a PostgreSQL one."""
    with fresh_databases(iter([f"vidseek_words_{os.getpid()}"])) as urls:
        out = {"sqlite": open_sessions(f"sqlite:///{tmp_path / 'vidseek.db'}"), "postgresql": open_sessions(next(urls))}
        for sessions in out.values():
            _write_lines(sessions, LINES)
        yield out
        for sessions in out.values():
            sessions.kw["bind"].dispose()


def test_both_databases_find_the_same_lines_for_every_query(both: dict[str, sessionmaker[Session]]) -> None:
    for query, expected in QUERIES.items():
        answers = {name: _found(sessions, query) for name, sessions in both.items()}
        print(query, answers == {name: sorted(expected) for name in both}, answers)


def test_stored_lines_are_analysed_again_by_the_migration(database_url: str, data_dir: Path) -> None:
    """A library made before 0007 (its cues without terms) finds CJK words and inflections after it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url
    sessions = open_sessions(url)
    _write_lines(sessions, LINES)
    sessions.kw["bind"].dispose()
    command.downgrade(alembic_config(url), "0006")  # the schema as 0006 left it, cues and all
    sessions = open_sessions(url)  # opening migrates to head
    try:
        assert _found(sessions, "東京駅") == ["明日は東京駅で会いましょう。"]
        assert _found(sessions, "running") == ["She runs every morning before work."]
        assert _found(sessions, "Haus") == ["Die Häuser hier sind sehr alt."]  # its stemmer recorded again
    finally:
        sessions.kw["bind"].dispose()
