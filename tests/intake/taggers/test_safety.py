"""RiskReader on a small made-up configuration: which negations govern a phrase, what counts as the
past, and what is inside quotation marks."""

from __future__ import annotations

import pytest

from intake.config.schema import SafetyFile
from intake.taggers.phrases import PhraseMatcher
from intake.taggers.safety import RiskFinding, RiskReader, reader_for

SAFETY = SafetyFile.model_validate({
    "flags": [{"id": "risk", "label": "Risk", "phrases": {"en": ["want to die", "hurt"]}}],
    "negations": {"en": ["not", "never", "no"]},
    "negation_bridges": {"en": ["been", "really"]},
    "past": {"en": ["last year", "used to"]},
    "present": {"en": ["still", "now"]},
})
MATCHER = PhraseMatcher({"risk": ["want to die", "hurt"]}, ["not", "never", "no"], negation_window=2)
READER = RiskReader(SAFETY)


def read(text: str, year: int | None = 2026) -> list[RiskFinding]:
    return READER.read(text, MATCHER.find(text), year)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I was not hurt", False),
        ("I have never been hurt", False),
        ("not really hurt", False),
        ("not okay, hurt", True),            # another clause
        ("not okay I hurt", True),           # the negation is of another word
        ("never, never hurt", False),
        ('no "hurt"', True),                 # a quotation mark ends the negation's reach
    ],
)
def test_only_a_negation_that_governs_the_phrase_removes_it(text: str, found: bool) -> None:
    assert bool(read(text)) is found


def test_the_matcher_must_also_see_the_negation() -> None:
    # The reader narrows the matcher's negation; it never adds one the matcher did not see.
    wide_open = PhraseMatcher({"risk": ["hurt"]})
    assert [f.phrase for f in READER.read("not hurt", wide_open.find("not hurt"))] == ["hurt"]


@pytest.mark.parametrize(
    ("text", "past"),
    [
        ("I used to want to die", "used to"),
        ("I wanted to hurt myself LAST YEAR", "last year"),
        ("I was hurt in 2019", "2019"),
        ("I was hurt in 2026", None),
        ("I used to want to die and I still do", None),
        ("Last year was fine. Now I want to die", None),
        ("I want to die", None),
    ],
)
def test_what_puts_a_finding_in_the_past(text: str, past: str | None) -> None:
    [finding] = read(text)
    assert finding.past == past


def test_without_the_current_year_a_year_is_not_read_as_the_past() -> None:
    [finding] = read("I was hurt in 2019", year=None)
    assert finding.past is None


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ('She said "I want to die"', True),
        ("She said \u201cI want to die\u201d", True),
        ("Powiedziała \u201ewant to die\u201d", True),
        ('"Fine" she said, I want to die', False),
        ("I want to die", False),
        ("It\u2019s that I want to die", False),  # an apostrophe is not a quotation mark
    ],
)
def test_quoted_findings(text: str, quoted: bool) -> None:
    [finding] = read(text)
    assert finding.quoted is quoted


@pytest.mark.parametrize(
    ("finding", "evidence"),
    [
        (RiskFinding("risk", "hurt", 0, 4), "hurt"),
        (RiskFinding("risk", "hurt", 0, 4, past="last year"), "hurt (in the past: last year)"),
        (RiskFinding("risk", "hurt", 0, 4, quoted=True), "hurt (in quotes)"),
        (RiskFinding("risk", "hurt", 0, 4, past="2019", quoted=True),
         "hurt (in the past: 2019; in quotes)"),
    ],
)
def test_evidence_says_what_qualifies_a_finding(finding: RiskFinding, evidence: str) -> None:
    assert finding.evidence == evidence


def test_one_reader_per_configuration() -> None:
    assert reader_for(SAFETY) is reader_for(SAFETY)
    other = SAFETY.model_copy()
    assert reader_for(other) is not reader_for(SAFETY)
