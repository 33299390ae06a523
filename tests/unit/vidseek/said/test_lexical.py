"""Lexical queries (pure): words, "phrases" and prefix* words, analysed as lines are, as FTS5 and
tsquery text."""

from __future__ import annotations

from vidseek.said.lexical import Slot, Term, fts5_match, terms, tsquery


def test_words_phrases_and_prefixes() -> None:
    found = terms('We "missed the DEADLINE" dead*')
    assert found == [
        Term((Slot(("we",)),)),
        Term((Slot(("missed",)), Slot(("the",)), Slot(("deadline",)))),
        Term((Slot(("dead",), prefix=True),)),
    ]
    assert fts5_match(found) == '"we" AND "missed" + "the" + "deadline" AND "dead"*'
    assert tsquery(found) == "'we' & ('missed' <-> 'the' <-> 'deadline') & 'dead':*"


def test_each_word_is_itself_or_its_stem_in_each_language_of_the_library() -> None:
    found = terms('"running late"', {"english"})
    assert found == [Term((Slot(("run", "running")), Slot(("late",))))]
    assert fts5_match(found) == '("run" + "late" OR "running" + "late")'
    assert tsquery(found) == "(('run' | 'running') <-> 'late')"


def test_cjk_runs_are_phrases_of_bigrams_and_one_character_is_a_prefix() -> None:
    assert terms("東京駅") == [Term((Slot(("東京",)), Slot(("京駅",))))]
    assert terms("駅") == [Term((Slot(("駅",), prefix=True),))]
    assert tsquery(terms("駅")) == "'駅':*"


def test_decimals_and_times_are_one_word_hyphens_and_apostrophes_split() -> None:
    assert terms("3.5 3.30pm 1,000 3:30") == [Term((Slot((w,)),)) for w in ("3.5", "3.30pm", "1,000", "3:30")]
    assert terms("well-known") == [Term((Slot(("well",)), Slot(("known",))))]
    assert terms("don't") == [Term((Slot(("don",)), Slot(("t",))))]


def test_operators_are_only_words() -> None:
    found = terms('NEAR(a b) OR x & !y | z:* "unclosed')
    assert [[s.forms[0] for s in t.slots] for t in found] == [
        ["near", "a"],
        ["b"],
        ["or"],
        ["x"],
        ["y"],
        ["z"],
        ["unclosed"],
    ]
    assert found[5].slots[0].prefix
    assert terms('"phrase pre"*') == [Term((Slot(("phrase",)), Slot(("pre",), prefix=True)))]


def test_a_phrase_is_tried_in_a_bounded_number_of_spellings() -> None:
    found = terms('"' + " ".join(["running"] * 10) + '"', {"english"})
    spellings = 1
    for slot in found[0].slots:
        spellings *= len(slot.forms)
    assert spellings <= 64 and fts5_match(found).count(" OR ") == spellings - 1


def test_a_query_without_words_has_no_terms() -> None:
    assert terms('  "" * -- !') == []
