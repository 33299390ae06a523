"""Readings of sampled frames made into lines: one line per text from its first frame to the end of its
last, a letter misread now and then or one missed reading not breaking it, text that changes bit by bit
(a ticker) never chained into one line; chunks' lines joined; dropped spaces put back."""

from __future__ import annotations

from indexer.shown.shown_lines import Reading, ShownLine, merge_readings
from indexer.shown.text_reading import ShownText, joined, spaced
from vidseek.storage.cue_store import CueRow


def test_the_same_text_in_consecutive_frames_is_one_line_from_first_to_last_second() -> None:
    readings = [Reading(0.0, ()), Reading(1.0, ("EXIT 25",)), Reading(2.0, ("EX1T 25",)), Reading(3.0, ("EXIT 25",))]
    readings += [Reading(4.0, ())]
    assert merge_readings(readings, 1.0) == [ShownLine(1.0, 4.0, "EXIT 25")]


def test_one_missed_reading_continues_a_line_and_two_end_it() -> None:
    one = [Reading(0.0, ("Maria Lopez",)), Reading(1.0, ()), Reading(2.0, ("Maria Lopez",))]
    assert merge_readings(one, 1.0) == [ShownLine(0.0, 3.0, "Maria Lopez")]
    two = [Reading(0.0, ("Maria Lopez",)), Reading(1.0, ()), Reading(2.0, ()), Reading(3.0, ("Maria Lopez",))]
    assert merge_readings(two, 1.0) == [ShownLine(0.0, 1.0, "Maria Lopez"), ShownLine(3.0, 4.0, "Maria Lopez")]


def test_a_ticker_never_chains_into_one_line() -> None:
    text = "Harbor bridge closed +++ Storm warning for the coast +++ Markets rally on jobs data"
    readings = [Reading(float(t), (text[3 * t : 3 * t + 30],)) for t in range(20)]
    shown = [r.t for r in readings if "Markets" in r.texts[0]]
    lines = merge_readings(readings, 1.0)
    assert all(line.end - line.start <= 3.0 for line in lines), lines
    markets = [line for line in lines if "Markets" in line.text]
    assert markets and min(m.start for m in markets) >= shown[0] and max(m.end for m in markets) <= shown[-1] + 1


def test_lines_of_chunks_are_joined_where_they_touch() -> None:
    a = ShownText([CueRow(2.0, 10.0, "Q3 Revenue", "shown:m")], frames=10, read=2, with_text=1)
    b = ShownText([CueRow(10.0, 14.0, "Q3 Revenue", "shown:m"), CueRow(12.0, 13.0, "Lisbon", "shown:m")], 10, 3, 2)
    assert joined([a, b]) == ShownText(
        [CueRow(2.0, 14.0, "Q3 Revenue", "shown:m"), CueRow(12.0, 13.0, "Lisbon", "shown:m")], 20, 5, 3
    )
    failed = joined([a, ShownText(error="RuntimeError: boom")])
    assert failed.lines == [] and failed.error == "RuntimeError: boom"


def test_spaces_the_model_dropped_between_numbers_and_words_are_put_back() -> None:
    assert spaced("Batch 4471best before March") == "Batch 4471 best before March"
    assert spaced("priceDrop 2027launch") == "price Drop 2027 launch"
    assert spaced("Q3 MP4 4K iPhone 北京南站") == "Q3 MP4 4K iPhone 北京南站"


def test_a_letter_misread_is_the_same_text_and_a_ticker_moved_on_is_not() -> None:
    from indexer.shown.shown_lines import alike

    assert alike("EXIT 25", "EX1T 25") and alike("Maria Lopez", "Maria L0pez")
    assert not alike("Markets rally on strong jobs data +++ Mus", "rkets rally on strong jobs data +++ Museum")
    assert not alike("Q3 Revenue Growth", "Roadmap for 2027")
