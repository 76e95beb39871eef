"""webhooks.forms.phone: a UK mobile number as people type it, back in E.164 or None; Ofcom's
drama range counts as a mobile, exactly its thousand numbers and no more."""

from __future__ import annotations

import re

import pytest

from webhooks.forms.phone import uk_mobile

E164_UK_MOBILE = re.compile(r"^\+447\d{9}$")


@pytest.mark.parametrize(("typed", "e164"), [
    ("07700 900000", "+447700900000"), ("07700 900999", "+447700900999"),
    ("+44 7700 900500", "+447700900500"),
])
def test_the_whole_drama_range_counts_as_mobile(typed: str, e164: str) -> None:
    assert uk_mobile(typed) == e164


@pytest.mark.parametrize("typed", ["07700 901000", "07700 909999"])
def test_just_past_the_drama_range_is_not_a_mobile(typed: str) -> None:
    """phonenumbers does not know these as mobiles and they are not Ofcom's drama numbers."""
    assert uk_mobile(typed) is None


@pytest.mark.parametrize("typed", [
    "0770 0900 123",                      # spaced oddly
    "07700-900-123",                      # hyphens
    "\t07700900123\n",                    # pasted with whitespace
    "+44\u00a07700\u00a0900123",          # no-break spaces from a word processor
    "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13",  # full-width digits
    "00447700900123",                     # the international prefix
    "7700900123",                         # without the trunk 0
    "tel:+447700900123",                  # copied from a link
])
def test_usual_ways_of_writing_one_number_give_the_same_e164(typed: str) -> None:
    assert uk_mobile(typed) == "+447700900123"


@pytest.mark.parametrize("typed", [
    "+33 6 12 34 56 78",                  # a French mobile
    "+44 20 7946 0123",                   # a London landline in international form
    "070 0000 0000",                      # a personal number
    "07700 900123 07700 900124",          # two numbers
    "call 07700 900123 please",           # words around it
    "07700900123#",
    "   ",
    "+",
])
def test_anything_else_is_none(typed: str) -> None:
    assert uk_mobile(typed) is None


@pytest.mark.parametrize("typed", ["07911 123456", "07400 123456", "07512 345678", "07700 900042"])
def test_the_result_is_always_plus_44_7_and_nine_digits(typed: str) -> None:
    result = uk_mobile(typed)
    assert result is not None and E164_UK_MOBILE.match(result)
    assert uk_mobile(result) == result                            # stable when read again
