"""count_segments: what a text costs on the wire, at every boundary that matters."""

from __future__ import annotations

import pytest

from webhooks.sms.segments import GSM7_BASIC, GSM7_EXTENSION, SegmentCount, count_segments


@pytest.mark.parametrize("length, segments", [
    (0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4),
])
def test_gsm7_is_160_alone_then_153_per_part(length: int, segments: int) -> None:
    assert count_segments("a" * length) == SegmentCount("GSM-7", length, segments)


@pytest.mark.parametrize("length, segments", [
    (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4),
])
def test_ucs2_is_70_alone_then_67_per_part(length: int, segments: int) -> None:
    assert count_segments("ک" * length) == SegmentCount("UCS-2", length, segments)


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION - {"\f"}))
def test_extension_characters_count_two(char: str) -> None:
    assert count_segments(char) == SegmentCount("GSM-7", 2, 1)
    assert count_segments(char * 80) == SegmentCount("GSM-7", 160, 1)
    assert count_segments(char * 80 + "a") == SegmentCount("GSM-7", 161, 2)


def test_an_extension_character_can_push_a_text_over_a_boundary() -> None:
    assert count_segments("a" * 159).segments == 1
    assert count_segments("a" * 159 + "€") == SegmentCount("GSM-7", 161, 2)
    assert count_segments("a" * 158 + "€") == SegmentCount("GSM-7", 160, 1)


def test_basic_accented_letters_stay_gsm7() -> None:
    text = "Café in Düsseldorf: £5, ¿qué?"
    assert all(c in GSM7_BASIC for c in text)
    assert count_segments(text) == SegmentCount("GSM-7", len(text), 1)


def test_an_emoji_counts_two_utf16_units() -> None:
    assert count_segments("👍") == SegmentCount("UCS-2", 2, 1)
    assert count_segments("a" * 68 + "👍") == SegmentCount("UCS-2", 70, 1)
    assert count_segments("a" * 69 + "👍") == SegmentCount("UCS-2", 71, 2)


def test_one_curly_quote_switches_the_whole_text_to_ucs2() -> None:
    plain = "Thank you. Your GP" + "'s reply is on its way." + " " * 100
    curly = plain.replace("'", "\u2019")
    assert len(plain) == len(curly) == 141
    assert count_segments(plain) == SegmentCount("GSM-7", 141, 1)
    assert count_segments(curly) == SegmentCount("UCS-2", 141, 3)


def test_characters_outside_gsm7_that_look_harmless_switch_to_ucs2() -> None:
    for char in ("ç", "\u00a0", "–", "…", "Ł"):  # ç is not in GSM-7 (only Ç is)
        assert count_segments("a" * 10 + char).encoding == "UCS-2", repr(char)


def test_the_english_thanks_fits_one_segment_and_the_urdu_one_takes_two() -> None:
    english = "Thank you. Your reference is FB-ABC123. Reply HELP for help or STOP to opt out."
    urdu = "شکریہ۔ آپ کا حوالہ نمبر FB-ABC123 ہے۔ مدد کے لیے HELP، رکنے کے لیے STOP لکھیں۔"
    assert count_segments(english) == SegmentCount("GSM-7", len(english), 1)
    assert count_segments(urdu) == SegmentCount("UCS-2", 78, 2)
