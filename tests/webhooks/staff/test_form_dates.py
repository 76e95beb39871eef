"""webhooks.staff.form_dates: the NHS.UK date input's three boxes read into a date, with the
design system's error messages, and error summary links that go to a date's day box."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from webhooks.staff.form_dates import date_values, error_links, read_date, values_of


def boxes(name: str = "opens", day: str = "", month: str = "", year: str = "",
          **others: str) -> MultiDict[str, str]:
    return MultiDict({f"{name}[day]": day, f"{name}[month]": month, f"{name}[year]": year,
                      **others})


def read(form: MultiDict[str, str], name: str = "opens") -> tuple[date | None, dict[str, str]]:
    errors: dict[str, str] = {}
    return read_date(form, name, "The opening date", errors), errors


# -- date_values and values_of -------------------------------------------------------------------
def test_what_was_typed_is_kept_trimmed_to_show_again() -> None:
    form = boxes(day=" 3 ", month="11", year="twenty", closes_day="9")
    assert date_values(form, "opens") == {"day": "3", "month": "11", "year": "twenty"}


def test_boxes_not_sent_are_empty() -> None:
    assert date_values(MultiDict(), "opens") == {"day": "", "month": "", "year": ""}
    assert date_values(boxes("closes", "1", "2", "2026"), "opens") == {
        "day": "", "month": "", "year": ""}


def test_a_stored_date_fills_the_boxes_without_leading_zeros() -> None:
    assert values_of(date(2026, 3, 5)) == {"day": "5", "month": "3", "year": "2026"}
    assert values_of(None) == {"day": "", "month": "", "year": ""}


# -- read_date --------------------------------------------------------------------------------
@pytest.mark.parametrize(("day", "month", "year", "expected"), [
    ("3", "11", "2026", date(2026, 11, 3)),
    ("03", "011", " 2026 ", date(2026, 11, 3)),
    ("29", "2", "2028", date(2028, 2, 29)),                     # a leap year
    ("31", "12", "9999", date(9999, 12, 31)),
    ("1", "1", "1000", date(1000, 1, 1)),
])
def test_a_real_date_is_read(day: str, month: str, year: str, expected: date) -> None:
    assert read(boxes(day=day, month=month, year=year)) == (expected, {})


@pytest.mark.parametrize("blank", ["", "   "])
def test_empty_boxes_are_no_date_and_no_error(blank: str) -> None:
    assert read(boxes(day=blank, month=blank, year=blank)) == (None, {})
    assert read(MultiDict()) == (None, {})


@pytest.mark.parametrize(("day", "month", "year", "message"), [
    ("3", "", "2026", "The opening date must include a month"),
    ("", "11", "2026", "The opening date must include a day"),
    ("3", "11", " ", "The opening date must include a year"),
    ("", "", "2026", "The opening date must include a day and month"),
    ("", "11", "", "The opening date must include a day and year"),
    ("3", "", "", "The opening date must include a month and year"),
])
def test_a_part_missing_is_named(day: str, month: str, year: str, message: str) -> None:
    assert read(boxes(day=day, month=month, year=year)) == (None, {"opens": message})


@pytest.mark.parametrize(("day", "month", "year"), [
    ("30", "2", "2026"), ("29", "2", "2027"), ("0", "1", "2026"), ("1", "13", "2026"),
    ("1", "1", "999"), ("1", "1", "26"), ("-1", "1", "2026"), ("1", "1", "10000"),
    ("1", "1", "2026000000"), ("1", "1", "9" * 30), ("one", "1", "2026"), ("1.5", "1", "2026"),
])
def test_anything_not_a_real_date_says_so(day: str, month: str, year: str) -> None:
    assert read(boxes(day=day, month=month, year=year)) == (
        None, {"opens": "The opening date must be a real date"})


def test_an_error_is_added_beside_the_others_under_the_field_s_name() -> None:
    errors = {"title": "Enter a title"}
    form = boxes("closes", day="31", month="4", year="2026")
    assert read_date(form, "closes", "The closing date", errors) is None
    assert errors == {"title": "Enter a title", "closes": "The closing date must be a real date"}


# -- error_links ------------------------------------------------------------------------------
def test_error_links_go_to_each_field_and_to_a_date_s_day_box_in_order() -> None:
    errors = {"title": "Enter a title", "opens": "The opening date must include a year",
              "closes": "The closing date must be a real date"}
    assert error_links(errors, ("opens", "closes")) == [
        {"text": "Enter a title", "href": "#title"},
        {"text": "The opening date must include a year", "href": "#opens-day"},
        {"text": "The closing date must be a real date", "href": "#closes-day"}]


def test_without_date_fields_every_link_goes_to_its_field() -> None:
    assert error_links({"opens": "x"}) == [{"text": "x", "href": "#opens"}]
    assert error_links({}) == []
