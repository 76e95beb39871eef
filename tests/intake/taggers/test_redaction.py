"""Behaviour of redact(): personal identifiers become bracketed labels, everything else stays."""

from __future__ import annotations

import pytest

from intake.taggers.redaction import LABELS, Redaction, is_nhs_number, redact

VALID_NHS = "9434765919"
INVALID_NHS = "9434765918"  # same number, wrong check digit


def spaced(digits: str, sep: str = " ") -> str:
    return f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


def valid_nhs_numbers(count: int) -> list[str]:
    """The first ``count`` valid NHS numbers at or after 400 000 0000."""
    found = []
    number = 400_000_0000
    while len(found) < count:
        if is_nhs_number(str(number)):
            found.append(str(number))
        number += 1
    return found


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        (VALID_NHS, True),
        (INVALID_NHS, False),
        ("1000000010", False),  # the check digit would be 10: never issued
        ("943476591", False),  # too short
        ("94347659190", False),  # too long
        ("943476591X", False),
    ],
)
def test_is_nhs_number(digits: str, valid: bool) -> None:
    assert is_nhs_number(digits) is valid


@pytest.mark.parametrize(
    "number", [VALID_NHS, spaced(VALID_NHS), spaced(VALID_NHS, "-"), *valid_nhs_numbers(3)]
)
def test_valid_nhs_numbers_are_redacted(number: str) -> None:
    result = redact(f"My NHS number is {number}, please check it.")
    assert result.text == "My NHS number is [NHS number], please check it."
    assert result.counts == {"nhs-number": 1}


@pytest.mark.parametrize("number", [INVALID_NHS, spaced(INVALID_NHS)])
def test_invalid_check_digit_is_not_an_nhs_number(number: str) -> None:
    result = redact(f"My NHS number is {number}")
    assert LABELS["nhs-number"] not in result.text
    assert "nhs-number" not in result.counts


def test_nhs_number_inside_a_longer_digit_run_is_not_redacted_as_one() -> None:
    result = redact(f"reference 1{VALID_NHS}2")
    assert "nhs-number" not in result.counts


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700 900 456",
        "+44 7700 900123",
        "+44 (0)7700 900 456",
        "0113 496 0000",
        "020 7946 0018",
        "+44 113 496 0000",
    ],
)
def test_uk_phone_numbers_are_redacted(phone: str) -> None:
    result = redact(f"Please ring {phone} after 5pm")
    assert result.text == "Please ring [phone number] after 5pm"
    assert result.counts == {"phone": 1}


@pytest.mark.parametrize(
    "text",
    [
        "I called 111 and then 999",
        "I waited 3 hours",
        "The appointment was on 2023-04-05",
        "Seen on 05/04/2023 at 10:30",
        "Reference 12345",
        "Room 101",
        "I waited 45 minutes for 2 tablets",
    ],
)
def test_short_numbers_and_plain_dates_are_left_alone(text: str) -> None:
    assert redact(text) == Redaction(text=text, counts={})


@pytest.mark.parametrize("email", ["jo@example.com", "jo.bloggs+nhs@example.co.uk", "a_b-c@mail.example.org"])
def test_emails_are_redacted(email: str) -> None:
    result = redact(f"Email {email} with the answer")
    assert result.text == "Email [email address] with the answer"
    assert result.counts == {"email": 1}


@pytest.mark.parametrize("postcode", ["LS1 4AP", "M1 1AE", "SW1A 1AA", "B33 8TH", "ls14ap", "EC1A1BB"])
def test_postcodes_are_redacted(postcode: str) -> None:
    result = redact(f"I live at {postcode}.")
    assert result.text == "I live at [postcode]."
    assert result.counts == {"postcode": 1}


@pytest.mark.parametrize("text", ["LS1 4CP", "The A1 road", "Ward 4", "covid19 test"])
def test_things_that_are_not_postcodes_are_left_alone(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was born 05/04/1985", "I was born [date of birth]"),
        ("born on 1st May 1990", "born on [date of birth]"),
        ("DOB: 01.02.1980", "DOB: [date of birth]"),
        ("d.o.b. 3/4/85", "d.o.b. [date of birth]"),
        ("My date of birth is 7th July 1977", "My date of birth is [date of birth]"),
        ("Date Of Birth: 12 Sept 2001", "Date Of Birth: [date of birth]"),
    ],
)
def test_dates_of_birth_are_redacted(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == {"date-of-birth": 1}


@pytest.mark.parametrize("text", ["born in 1985", "Our newborn 12/03/2020 check", "Seen 12 March 2024"])
def test_dates_that_are_not_birth_dates_are_left_alone(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, my name is Sarah Jones and I", "Hello, my name is [name] and I"),
        ("MY NAME IS Tom", "MY NAME IS [name]"),
        ("my name's Jo", "my name's [name]"),
        ("I'm called Amira Khan.", "I'm called [name]."),
        ("Her name is Mary-Ann O'Neil", "Her name is [name]"),
    ],
)
def test_names_after_an_introduction_are_redacted(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == {"name": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Łukasz Nowak", "My name is [name]"),
        ("My name is Émile and I", "My name is [name] and I"),
        ("Her name is Żaneta.", "Her name is [name]."),
    ],
)
def test_names_in_any_alphabet_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == Redaction(text=expected, counts={"name": 1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I\u2019m called Amira Khan", "I\u2019m called [name]"),
        ("my name\u2019s Jo", "my name\u2019s [name]"),
    ],
)
def test_names_after_a_typographic_apostrophe_are_redacted(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is Sarah I want to complain", "my name is [name] I want to complain"),
        ("My name is Ann\nThe GP was rude", "My name is [name]\nThe GP was rude"),
    ],
)
def test_words_after_the_name_are_kept(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text", ["my name is not important", "My name is written wrong on the letter", "My name is on the list"]
)
def test_lower_case_words_after_my_name_is_are_kept(text: str) -> None:
    assert redact(text) == Redaction(text=text, counts={})


def test_text_without_identifiers_is_unchanged() -> None:
    text = "The receptionist was kind and the GP listened."
    assert redact(text) == Redaction(text=text, counts={})


def test_counts_add_up_across_kinds() -> None:
    text = (
        f"My name is Ann Smith, NHS number {spaced(VALID_NHS)}, born 01/02/1950. "
        "Ring 07700 900123 or 07700 900124, or email ann@example.com. I live in LS1 4AP."
    )
    result = redact(text)
    assert result.counts == {
        "name": 1,
        "nhs-number": 1,
        "date-of-birth": 1,
        "phone": 2,
        "email": 1,
        "postcode": 1,
    }
    assert result.text == (
        "My name is [name], NHS number [NHS number], born [date of birth]. "
        "Ring [phone number] or [phone number], or email [email address]. I live in [postcode]."
    )
    for original in ("Ann", "Smith", VALID_NHS[:3], "1950", "07700", "example.com", "LS1"):
        assert original not in result.text
