"""Lexical queries (pure): words, "phrases" and prefix* words as FTS5 and tsquery text."""

from __future__ import annotations

from vidseek.lexical import Term, fts5_match, terms, tsquery


def test_words_phrases_and_prefixes() -> None:
    found = terms('We "missed the DEADLINE" dead*')
    assert found == [Term(("we",)), Term(("missed", "the", "deadline")), Term(("dead",), prefix=True)]
    assert fts5_match(found) == '"we" AND "missed the deadline" AND "dead"*'
    assert tsquery(found) == "'we' & ('missed' <-> 'the' <-> 'deadline') & 'dead':*"


def test_punctuation_splits_words_and_operators_are_only_words() -> None:
    assert terms("don't") == [Term(("don", "t"))]
    assert terms('NEAR(a b) OR x & !y | z:* "unclosed') == [
        Term(("near", "a")),
        Term(("b",)),
        Term(("or",)),
        Term(("x",)),
        Term(("y",)),
        Term(("z",), prefix=True),
        Term(("unclosed",)),
    ]
    assert terms('"phrase pre"*') == [Term(("phrase", "pre"), prefix=True)]


def test_a_query_without_words_has_no_terms() -> None:
    assert terms('  "" * -- !') == []
