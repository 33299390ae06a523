"""Cue vectors (``vidseek.said.cue_vectors``) and semantic search over what is said, on SQLite and PostgreSQL:
filled when a video is indexed, kept in step with its cues, found by meaning through the search the
API and the CLI share, carried over by a re-embed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from media import Segment, make_video
from sqlalchemy import delete

from cli.main import main as cli
from indexer.progress import Progress
from indexer.reembed import Reembedder
from indexer.runner import Indexer
from indexer.worker import Worker
from search_api.http.schemas import TextSearch
from search_api.search.cue_meaning import RECOUNT_S, CueMatrices
from search_api.search.engine import SearchEngine
from search_api.search.hits import signals_key
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.said import cue_vectors
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.storage.tables import CueVector

SYNONYMS = "python:colour_encoder:SynonymColourEncoder"
WIDE = "python:colour_encoder:WideColourEncoder"
SYNONYMS_NAME = "test:colour-synonyms"
FILLER = 300
"""Unrelated lines: enough for the cue background to be calibrated (``relevance.MIN_SAMPLE``)."""


def _srt(lines: list[tuple[float, float, str]]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i}\n{stamp(a)} --> {stamp(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(lines, 1))


def _talk(root: Path, said: list[tuple[float, float, str]], filler: int = FILLER) -> Path:
    """A grey video whose sidecar says ``said`` (in its first 10 s) among ``filler`` unrelated lines
    (after 10 s; the video lasts as long as they do: lines past its end are not stored)."""
    video = make_video(root / "talk.mp4", [Segment("white", 11 + math.ceil(filler * 0.2))])
    noise = [(10.0 + i * 0.2, 10.1 + i * 0.2, f"line number {i} about the weather") for i in range(filler)]
    (root / "talk.en.srt").write_text(_srt(sorted(said + noise)))
    return video


def _settings(db_settings: Settings, model: str = SYNONYMS) -> Settings:
    return db_settings.model_copy(update={"model": model, "sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0})


def _index(settings: Settings, paths: list[Path]):  # noqa: ANN202
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False)).index(paths)
    assert report.failed == []
    return library, report


def text_page(engine: SearchEngine, query: str, filters: TextSearch):  # noqa: ANN201
    """The page and its signals, as the API answers them."""
    page = engine.page(query, filters)
    return page, page.signals


def _said(engine: SearchEngine, q: str, **filters) -> list[tuple[float, float, str]]:  # noqa: ANN003
    """(start, end, quote) of each speech moment of ``q``."""
    page, signals = text_page(engine, q, TextSearch(q=q, modality="speech", **filters))
    assert signals is not None
    return [(h.moment.start, h.moment.end, signals[signals_key(h)].quote) for h in page.hits]


SAID = [(2.0, 3.0, "a red kite"), (6.0, 7.0, "the crimson door opens")]


def test_a_line_is_found_by_its_meaning_as_well_as_its_words(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    library, report = _index(settings, [_talk(tmp_path, SAID)])
    assert report.cues_embedded == FILLER + 2
    engine = SearchEngine(library, load_encoder(SYNONYMS))
    # "red": the kite by its words and its meaning, then the crimson door by its meaning alone
    assert _said(engine, "red") == [(2.0, 3.0, "a red kite"), (6.0, 7.0, "the crimson door opens")]
    # "scarlet" is said nowhere: both lines mean it (a tie goes to the earlier line)
    assert _said(engine, "scarlet") == [(2.0, 3.0, "a red kite"), (6.0, 7.0, "the crimson door opens")]
    # the words alone still work, and nothing unrelated comes with them
    assert _said(engine, "crimson") == [(6.0, 7.0, "the crimson door opens"), (2.0, 3.0, "a red kite")]
    assert _said(engine, "blue") == []
    # 'low' lets every line through by meaning, 'high' only those that stand out
    assert len(_said(engine, "scarlet", min_relevance="low")) > 2
    assert _said(engine, "scarlet", min_relevance="high")[:2] == _said(engine, "scarlet")


def test_too_few_lines_to_calibrate_are_found_by_their_words_only(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    library, _ = _index(settings, [_talk(tmp_path, SAID, filler=10)])
    engine = SearchEngine(library, load_encoder(SYNONYMS))
    assert _said(engine, "scarlet") == []
    assert _said(engine, "kite") == [(2.0, 3.0, "a red kite")]
    # and 'all' with nothing said is the visual search exactly
    page, signals = text_page(engine, "scarlet", TextSearch(q="scarlet"))
    assert signals is None


def test_vectors_follow_their_cues_and_a_fill_skips_what_is_there(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    video = _talk(tmp_path, SAID)
    library, _ = _index(settings, [video])
    with library.sessions() as session:
        before = cue_vectors.state(SYNONYMS_NAME, session=session)
    assert before[0] == FILLER + 2
    # nothing new: a second run embeds nothing, and a fill done by someone else first is skipped
    assert _index(settings, [video])[1].cues_embedded == 0
    assert cue_vectors.fill(library, load_encoder(SYNONYMS)) == 0
    with library.sessions() as session:
        dim = load_encoder(SYNONYMS).dim
        cue_id = int(cue_vectors.matrix(SYNONYMS_NAME, dim, session=session).cue_ids[0])
        twice = cue_vectors.normalised([[1.0] * dim, [1.0] * dim])
        cue_vectors.write(SYNONYMS_NAME, [cue_id, 10**9], twice, session=session)
        session.commit()
        assert cue_vectors.state(SYNONYMS_NAME, session=session) == before  # the row was there; cue 10**9 is not
    # the sidecar changes: its cues are read again, the old vectors go with the old cues
    (tmp_path / "talk.en.srt").write_text(_srt([(1.0, 2.0, "an emerald field")] + [(20.0, 21.0, "and so on")] * 3))
    _, report = _index(settings, [video])
    assert report.cues_reread and report.cues_embedded == 4
    with library.sessions() as session:
        assert cue_vectors.state(SYNONYMS_NAME, session=session)[0] == 4
    library.delete_videos([v.id for v in _videos(library)])
    with library.sessions() as session:
        assert cue_vectors.state(SYNONYMS_NAME, session=session) == (0, 0)


def _videos(library: Library) -> list:
    with library.sessions() as session:
        return store.list_videos(session=session)


def test_a_reembed_embeds_the_lines_with_the_new_model_and_drops_the_old(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings, model="python:colour_encoder:ColourEncoder")
    library, _ = _index(settings, [_talk(tmp_path, SAID)])
    report = Reembedder(settings, library, load_encoder(WIDE), WIDE, progress=lambda: Progress(False)).run()
    assert report.switched
    with library.sessions() as session:
        assert cue_vectors.state("test:colour-wide", session=session)[0] == FILLER + 2
        assert cue_vectors.state("test:colour-v1", session=session) == (0, 0)
    engine = SearchEngine(Library(settings, notify=lambda m: None), load_encoder(WIDE))
    assert _said(engine, "red") == [(2.0, 3.0, "a red kite")]  # the wide model knows no synonyms


@pytest.mark.parametrize("modality", ["speech", "all"])
def test_a_filter_keeps_meaning_matches_of_other_videos_out(
    db_settings: Settings, tmp_path: Path, modality: str
) -> None:
    settings = _settings(db_settings)
    library, _ = _index(settings, [_talk(tmp_path, SAID)])
    engine = SearchEngine(library, load_encoder(SYNONYMS))
    page, _ = text_page(engine, "scarlet", TextSearch(q="scarlet", modality=modality, video_id=[10**6]))
    assert page.hits == []


def test_a_process_copy_of_the_vectors_reads_added_rows_and_notices_removed_ones(
    db_settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(db_settings)
    first = _talk(tmp_path, SAID)
    library, _ = _index(settings, [first])
    dim = load_encoder(SYNONYMS).dim
    copies = CueMatrices()
    with library.snapshot() as session:
        held = copies.current(SYNONYMS_NAME, dim, session=session, now=0.0)
    assert len(held.cue_ids) == FILLER + 2
    other = tmp_path / "other"
    other.mkdir()
    _index(settings, [_talk(other, [(1.0, 2.0, "a scarlet kite")], filler=5)])
    with library.snapshot() as session:
        grown = copies.current(SYNONYMS_NAME, dim, session=session, now=1.0)  # the new rows, read on their own
    assert len(grown.cue_ids) == FILLER + 2 + 6 and list(grown.cue_ids) == sorted(set(grown.cue_ids))
    library.delete_videos([v.id for v in _videos(library) if v.path == str(first.resolve())])
    with library.snapshot() as session:
        assert len(copies.current(SYNONYMS_NAME, dim, session=session, now=2.0).cue_ids) == FILLER + 8  # not yet
        recounted = copies.current(SYNONYMS_NAME, dim, session=session, now=2.0 + RECOUNT_S)
    assert len(recounted.cue_ids) == 6


def test_info_counts_what_is_said_and_what_is_embedded(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    _index(settings, [_talk(tmp_path, SAID, filler=10)])
    env = {"VIDSEEK_DATA_DIR": str(settings.data_dir), "VIDSEEK_DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(cli, ["info", "--json"], env={**env, "VIDSEEK_MODEL": SYNONYMS})
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert (info["subtitle_cues"], info["transcript_cues"], info["cues_embedded"]) == (12, 0, 12)


def test_a_matrix_read_in_small_blocks_is_the_matrix_read_at_once(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    library, _ = _index(settings, [_talk(tmp_path, SAID)])
    dim = load_encoder(SYNONYMS).dim
    query = cue_vectors.normalised(load_encoder(SYNONYMS).encode_text(["red"]))[0]
    with library.sessions() as session:
        whole = cue_vectors.matrix(SYNONYMS_NAME, dim, session=session)
        blocks = cue_vectors.matrix(SYNONYMS_NAME, dim, session=session, block=7)
        later = cue_vectors.matrix(SYNONYMS_NAME, dim, after=int(whole.cue_ids[99]), session=session, block=7)
    assert whole.size == blocks.size == FILLER + 2 and (whole.sample == blocks.sample).all()
    assert [list(a) for a in whole.search(query, 50)] == [list(b) for b in blocks.search(query, 50)]
    assert list(later.cue_ids) == list(whole.cue_ids[100:])


def test_a_worker_embeds_the_lines_nobody_embedded_when_it_starts(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    library, _ = _index(settings, [_talk(tmp_path, SAID)])
    with library.sessions() as session:  # as a Ray index run leaves them: cues without vectors
        session.execute(delete(CueVector))
        session.commit()
    Worker(settings, poll_seconds=0.01).run(until_idle=True)
    with library.sessions() as session:
        assert cue_vectors.state(SYNONYMS_NAME, session=session)[0] == FILLER + 2


class _Dies:
    """A text tower that embeds ``calls`` batches, then dies as a killed process would mid-fill."""

    def __init__(self, encoder, calls: int) -> None:  # noqa: ANN001
        self.encoder, self.calls, self.texts = encoder, calls, 0
        self.name = encoder.name

    def encode_text(self, texts: list[str]):  # noqa: ANN201
        if self.calls == 0:
            raise KeyboardInterrupt("killed")
        self.calls -= 1
        self.texts += len(texts)
        return self.encoder.encode_text(texts)


def test_a_fill_killed_midway_keeps_its_batches_and_the_next_resumes(db_settings: Settings, tmp_path: Path) -> None:
    settings = _settings(db_settings)
    library, _ = _index(settings, [_talk(tmp_path, SAID, filler=50)])
    with library.sessions() as session:
        session.execute(delete(CueVector))
        session.commit()
    dying = _Dies(load_encoder(SYNONYMS), calls=3)
    with pytest.raises(KeyboardInterrupt):
        cue_vectors.fill(library, dying, batch=10)
    with library.sessions() as session:
        assert cue_vectors.count(SYNONYMS_NAME, session=session) == 30, "the batches done before are kept"
    again = _Dies(load_encoder(SYNONYMS), calls=100)
    assert cue_vectors.fill(library, again, batch=10) == 22
    assert again.texts == 22, "only the lines not embedded yet are embedded again"
    with library.sessions() as session:
        assert cue_vectors.state(SYNONYMS_NAME, session=session)[0] == 52
