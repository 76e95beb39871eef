"""Remove personal identifiers from text before it is shown in the team's queue.

The original text is kept (access-controlled); the queue, exports and reports use the redacted
copy. Each kind of identifier is replaced with a bracketed label so the sense survives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers

NHS_NUMBER = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}"
    r"(?![A-Za-z0-9])"
)
MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE = rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS}\s+\d{{4}})"
DATE_OF_BIRTH = re.compile(
    rf"(?P<lead>\b(?:date\s+of\s+birth|d\.?o\.?b\.?|born(?:\s+on)?)\s*(?:is|:)?\s*)(?P<date>{DATE})",
    re.IGNORECASE,
)
# The lead-in is matched in any case; only the capitalised words after it (in any alphabet: Łukasz,
# Émile) are the name, so "my name is not important" keeps its words.
NAME_INTRO = re.compile(
    r"(?P<lead>\b(?i:my\s+name\s+is|my\s+name['\u2019]s|i\s+am\s+called|i['\u2019]m\s+called|"
    r"(?:his|her|their)\s+name\s+is)\s+)"
    r"(?P<words>[^\W\d_][\w'-]*(?:[ \t]+[^\W\d_][\w'-]*){0,2})"
)

MIN_PHONE_DIGITS = 9

LABELS = {
    "nhs-number": "[NHS number]",
    "phone": "[phone number]",
    "email": "[email address]",
    "postcode": "[postcode]",
    "date-of-birth": "[date of birth]",
    "name": "[name]",
}


def is_nhs_number(digits: str) -> bool:
    """The NHS number Modulus 11 check: weights 10..2 over the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int] = field(default_factory=dict)


def _nhs(match: re.Match[str]) -> str | None:
    return LABELS["nhs-number"] if is_nhs_number("".join(match.groups())) else None


Replacer = Callable[[re.Match[str]], str | None]


def _sub(pattern: re.Pattern[str], text: str, kind: str, counts: Counter[str],
         replace: Replacer | None = None) -> str:
    def substitute(match: re.Match[str]) -> str:
        label = replace(match) if replace else LABELS[kind]
        if label is None:
            return match.group(0)
        counts[kind] += 1
        return label

    return pattern.sub(substitute, text)


def _phones(text: str, counts: Counter[str]) -> str:
    pieces: list[str] = []
    last = 0
    # POSSIBLE rather than VALID: Ofcom's drama ranges (07700 900xxx) and new allocations must be
    # caught too. Short numbers ("12345", dates) are left alone by the length check.
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        if len(str(match.number.national_number)) < MIN_PHONE_DIGITS:
            continue
        pieces.extend([text[last:match.start], LABELS["phone"]])
        last = match.end
        counts["phone"] += 1
    pieces.append(text[last:])
    return "".join(pieces)


def _name(match: re.Match[str]) -> str | None:
    """Replace the leading capitalised words after "my name is"; leave anything else as it was."""
    words = re.split(r"(\s+)", match.group("words"))
    taken = 0
    # "I" is the pronoun that starts the next clause ("my name is Sarah I want..."), not a name.
    while taken < len(words) and words[taken][:1].isupper() and words[taken] != "I":
        taken += 2  # a word and the space after it
    if taken == 0:
        return None
    rest = "".join(words[taken - 1:]) if taken - 1 < len(words) else ""
    return match.group("lead") + LABELS["name"] + rest


def redact(text: str) -> Redaction:
    """Replace NHS numbers, phone numbers, emails, postcodes, dates of birth and given names."""
    counts: Counter[str] = Counter()
    text = _sub(EMAIL, text, "email", counts)
    text = _sub(NHS_NUMBER, text, "nhs-number", counts, replace=_nhs)
    text = _phones(text, counts)
    text = _sub(DATE_OF_BIRTH, text, "date-of-birth", counts,
                replace=lambda m: m.group("lead") + LABELS["date-of-birth"])
    text = _sub(NAME_INTRO, text, "name", counts, replace=_name)
    text = _sub(POSTCODE, text, "postcode", counts)
    return Redaction(text=text, counts=dict(counts))
