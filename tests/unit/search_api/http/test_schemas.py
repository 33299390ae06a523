"""The request schemas' own bounds: fixed ones in the fields, the server's ones through ``within``."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from search_api.http.schemas import MAX_ID, LimitExceeded, PhraseSearch, SimilarSearch, TextSearch
from vidseek.config import Settings


def settings(**overrides) -> Settings:  # noqa: ANN003
    return Settings(data_dir="unused", **overrides)


def test_within_names_the_first_field_over_a_lowered_limit() -> None:
    tight = settings(max_query_chars=5, max_page_size=3, max_result_window=10)
    assert TextSearch(q="red", limit=3).within(tight).q == "red"
    with pytest.raises(LimitExceeded, match=r"^q: at most 5 characters \(6 given\)$"):
        TextSearch(q="redred").within(tight)
    with pytest.raises(LimitExceeded, match=r"^limit: at most 3 per page \(4 asked\)$"):
        TextSearch(q="red", limit=4).within(tight)
    with pytest.raises(LimitExceeded, match=r"^offset: offset \+ limit may be at most 10 \(8 \+ 3 asked\)"):
        TextSearch(q="red", limit=3, offset=8).within(tight)
    with pytest.raises(LimitExceeded, match=r"^negative\.1: at most 5"):
        PhraseSearch(q="red", negative=["blue", "yellow"]).within(tight)


def test_next_page_only_when_it_fits_the_result_window() -> None:
    window = settings(max_result_window=10)
    first = TextSearch(q="red", limit=4).within(window)
    assert first.has_next_page(available=9)  # 4..8 fits
    second = TextSearch(q="red", limit=4, offset=4).within(window)
    assert not second.has_next_page(available=100)  # 8..12 would be refused: paging ends here
    assert not first.has_next_page(available=4)  # nothing past this page
    assert TextSearch(q="red", limit=4, offset=8).has_next_page(available=100)  # no settings: no window


@pytest.mark.parametrize("value", ["1.0", "+1", "1_000", " 1", "0x1", "1e3", True, 1.0])
def test_ids_must_be_digits(value: object) -> None:
    with pytest.raises(ValidationError, match="whole number"):
        SimilarSearch(q="x", clip_id=value)


@pytest.mark.parametrize("value", [0, MAX_ID + 1, 2**63])
def test_ids_must_fit_the_database(value: int) -> None:
    with pytest.raises(ValidationError):
        SimilarSearch(clip_id=value)
    with pytest.raises(ValidationError):
        TextSearch(q="x", video_id=[value])


def test_ids_in_range_pass() -> None:
    assert SimilarSearch(clip_id="12").clip_id == 12
    assert TextSearch(q="x", video_id=["3", MAX_ID]).video_id == [3, MAX_ID]


def _refusal(**body) -> tuple[tuple, str]:  # noqa: ANN003
    with pytest.raises(ValidationError) as caught:
        PhraseSearch(**body)
    error = caught.value.errors()[0]
    return error["loc"], error["msg"]


def test_blank_texts_are_refused_in_words_and_in_the_document() -> None:
    assert _refusal(q="  \t") == (
        ("q",),
        "Value error, must not be empty: say what to look for, e.g. 'a dog on a beach'",
    )
    assert _refusal(q="red", negative=["blue", " "])[0] == ("negative", 1)
    assert PhraseSearch(q="  red ", positive=[" blue"]).phrases == ["red", "blue"]  # stripped
    for model, field in ((TextSearch, "q"), (PhraseSearch, "q")):
        schema = model.model_json_schema()["properties"][field]
        text = schema if "pattern" in schema else next(s for s in schema["anyOf"] if s.get("type") == "string")
        assert text["pattern"] == r"\S" and text["maxLength"] == 1000  # a generated client sees the same rule
    assert PhraseSearch.model_json_schema()["properties"]["negative"]["items"]["pattern"] == r"\S"


@pytest.mark.parametrize("field", ["limit", "offset", "min_score", "min_duration", "negative_weight"])
def test_numbers_are_not_booleans(field: str) -> None:
    # pydantic alone reads true as 1: a JSON body with "limit": true would get one result
    assert _refusal(q="red", **{field: True}) == ((field,), "Value error, must be a number, not true")


@pytest.mark.parametrize("value", [0, 1700000000, "1700000000", " 1.5 "])
def test_indexed_after_is_a_time_not_a_number(value: object) -> None:
    loc, message = _refusal(q="red", indexed_after=value)
    assert loc == ("indexed_after",) and "ISO 8601" in message
    assert PhraseSearch(q="red", indexed_after="2024-06-01T12:00:00Z").indexed_after.year == 2024
