"""Form checks: one message per field (the first one found stays), record numbers only a column
can hold, tidied text, length limits and services chosen from the list."""

from __future__ import annotations

import pytest

from intake.staff.validation import MAX_ID, Invalid, check_length, check_services, clean_text, read_id


def test_invalid_keeps_each_fields_message_and_says_them_all() -> None:
    refused = Invalid({"title": "Enter a title", "slug": "Enter a short name"})
    assert isinstance(refused, ValueError)
    assert refused.errors == {"title": "Enter a title", "slug": "Enter a short name"}
    assert str(refused) == "Enter a title; Enter a short name"


def test_max_id_is_the_largest_postgresql_integer() -> None:
    assert MAX_ID == 2_147_483_647


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1),
    ("42", 42),
    (" 42 ", 42),
    ("7\n", 7),
    ("0000000042", 42),               # ten characters: as long as MAX_ID, still read
    (str(MAX_ID), MAX_ID),
])
def test_a_record_number_is_read(value: str, expected: int) -> None:
    assert read_id(value) == expected


@pytest.mark.parametrize("value", [
    "", " ", "0", "0000000000", "-1", "+1", "1.0", "1e3", "0x10", "abc", "12abc", "1 2",
    str(MAX_ID + 1),                  # one more than the column holds
    "00000000042",                    # eleven characters: longer than any id
    "9" * 400,                        # never turned into a huge integer
])
def test_what_cannot_be_a_record_number_is_none(value: str) -> None:
    assert read_id(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""),
    ("", ""),
    ("  padded  ", "padded"),
    ("line one\r\nline two\r\n", "line one\nline two"),
    ("\r\n\t inside  spaces stay \r\n", "inside  spaces stay"),
])
def test_form_text_is_tidied(value: str | None, expected: str) -> None:
    assert clean_text(value) == expected


def test_a_value_at_the_limit_passes_and_one_over_is_refused() -> None:
    errors: dict[str, str] = {}
    check_length(errors, "title", "x" * 200, 200, "The title")
    assert errors == {}
    check_length(errors, "title", "x" * 201, 200, "The title")
    assert errors == {"title": "The title must be 200 characters or fewer"}


def test_a_length_limit_is_written_with_thousands_separators() -> None:
    errors: dict[str, str] = {}
    check_length(errors, "note", "x" * 5001, 5000, "A note")
    assert errors["note"] == "A note must be 5,000 characters or fewer"


def test_the_first_message_for_a_field_is_kept() -> None:
    errors = {"title": "Enter a title"}
    check_length(errors, "title", "x" * 10, 5, "The title")
    check_services(errors, "title", ["spaceship"], frozenset({"gp"}))
    assert errors == {"title": "Enter a title"}


def test_chosen_services_lose_repeats_and_keep_their_order() -> None:
    errors: dict[str, str] = {}
    chosen = check_services(errors, "services", ["pharmacy", "gp", "pharmacy", "gp"],
                            frozenset({"gp", "pharmacy", "dental"}))
    assert chosen == ["pharmacy", "gp"]
    assert errors == {}


def test_no_services_is_not_an_error() -> None:
    errors: dict[str, str] = {}
    assert check_services(errors, "services", [], frozenset({"gp"})) == []
    assert errors == {}


def test_a_service_not_in_the_list_is_refused() -> None:
    errors: dict[str, str] = {}
    check_services(errors, "services", ["gp", "spaceship"], frozenset({"gp"}))
    assert errors == {"services": "Choose services from the list"}


def test_service_ids_are_matched_exactly() -> None:
    errors: dict[str, str] = {}
    check_services(errors, "services", ["GP"], frozenset({"gp"}))
    assert "services" in errors
