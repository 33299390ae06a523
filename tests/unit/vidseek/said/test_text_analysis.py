"""A line's index terms (pure): folding, words, CJK bigrams, stems by language."""

from __future__ import annotations

from vidseek.said.text_analysis import index_terms, query_forms, stemmer_of


def test_stems_by_the_lines_language_and_none_for_unknown_ones() -> None:
    assert index_terms("She runs", "en") == ["she", "run"]
    assert index_terms("She runs", None) == ["she", "runs"]
    assert index_terms("Los niños corriendo", "spa") == ["los", "nin", "corr"]
    assert stemmer_of("ger") == "german" and stemmer_of("pt_BR") == "portuguese"
    assert stemmer_of("ja") is None and stemmer_of("final") is None and stemmer_of("und") is None


def test_case_width_and_accents_are_folded_but_kana_voicing_is_kept() -> None:
    assert index_terms("CAFÉ Straße ＡＢＣ１", None) == ["cafe", "strasse", "abc1"]
    assert index_terms("ｶﾞ", None) == ["ガ"]  # half-width kana with its voicing mark: one letter, voiced
    assert index_terms("が か", None) == ["が", "か"]
    assert index_terms("São", "pt") == index_terms("sao", "pt") == ["sao"]  # accents go before the stemmer


def test_cjk_runs_are_bigrams_then_their_last_character() -> None:
    assert index_terms("東京駅で", "ja") == ["東京", "京駅", "駅で", "で"]
    assert index_terms("我 Paris 北京", "zh") == ["我", "paris", "北京", "京"]


def test_numbers_keep_their_decimal_and_time_marks() -> None:
    assert index_terms("3.5 million, at 3:30. 1,000!", "en") == ["3.5", "million", "at", "3:30", "1,000"]


def test_a_query_word_is_itself_and_each_languages_stem() -> None:
    assert query_forms("running", {"english", "french"}) == ("run", "running")
    assert query_forms("cafe", set()) == ("cafe",)
