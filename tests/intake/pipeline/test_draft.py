"""The draft's plain data: frozen values, tags added without mutation, tags picked by kind, and a
consultation target's open window."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from intake.message import IncomingMessage
from intake.pipeline.draft import ConsultationTarget, Draft, LinkProposal, TagProposal, TrackerTarget
from tests.conftest import FIXED_NOW

HOUR = timedelta(hours=1)
MESSAGE = IncomingMessage("web", "m-1", "My GP was kind")


def tag(kind: str, value: str, confidence: float = 0.9) -> TagProposal:
    return TagProposal(kind, value, confidence, "auto", f"{kind}@1")  # type: ignore[arg-type]


def target(status: str = "open", opens_in: timedelta | None = -HOUR,
           closes_in: timedelta | None = HOUR) -> ConsultationTarget:
    return ConsultationTarget(
        7, "gp-access", frozenset({"gp"}), ("appointment",),
        FIXED_NOW + opens_in if opens_in is not None else None,
        FIXED_NOW + closes_in if closes_in is not None else None, status)


def test_a_new_draft_has_no_redaction_tags_links_or_stage_versions() -> None:
    draft = Draft(message=MESSAGE, text=MESSAGE.text)
    assert (draft.redacted_text, draft.tags, draft.links, draft.stage_versions) == ("", (), (), ())


def test_tag_proposal_evidence_and_code_are_optional() -> None:
    proposal = TagProposal("need", "easy-read", 1.0, "contributor", "needs@2")
    assert (proposal.code, proposal.evidence) == (None, None)


@pytest.mark.parametrize("value", [
    Draft(message=MESSAGE, text="x"),
    tag("service", "gp"),
    LinkProposal("tracker", 3, "tracker-by-service"),
    TrackerTarget(3, frozenset({"gp"})),
    target(),
], ids=["draft", "tag", "link", "tracker", "consultation"])
def test_pipeline_values_are_frozen(value: object) -> None:
    field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_with_tags_returns_a_new_draft_with_the_tags_appended_in_order() -> None:
    gp, english = tag("service", "gp"), tag("language", "en")
    original = Draft(message=MESSAGE, text="My GP was kind", redacted_text="My GP was kind",
                     tags=(gp,), links=(LinkProposal("tracker", 1, "r"),), stage_versions=("a@1",))

    grown = original.with_tags(english, tag("flag", "self-harm"))

    assert original.tags == (gp,)
    assert [t.value for t in grown.tags] == ["gp", "en", "self-harm"]
    assert (grown.message, grown.text, grown.redacted_text, grown.links, grown.stage_versions) == (
        original.message, original.text, original.redacted_text, original.links, original.stage_versions)


def test_with_no_tags_gives_an_equal_draft() -> None:
    draft = Draft(message=MESSAGE, text="x", tags=(tag("service", "gp"),))
    assert draft.with_tags() == draft


def test_with_tags_keeps_duplicates_for_later_stages_to_judge() -> None:
    gp = tag("service", "gp")
    assert Draft(message=MESSAGE, text="x").with_tags(gp, gp).tags == (gp, gp)


def test_tags_of_picks_one_kind_in_the_order_added() -> None:
    tags = (tag("service", "gp"), tag("language", "en"), tag("service", "dental"), tag("need", "large-print"))
    draft = Draft(message=MESSAGE, text="x", tags=tags)

    assert draft.tags_of("service") == (tags[0], tags[2])
    assert draft.tags_of("need") == (tags[3],)
    assert draft.tags_of("theme") == ()


def test_tag_proposals_compare_by_value_including_evidence() -> None:
    assert tag("service", "gp") == tag("service", "gp")
    assert TagProposal("theme", "parking", 0.8, "auto", "themes@1", evidence="car park") != \
        TagProposal("theme", "parking", 0.8, "auto", "themes@1", evidence="parking")


@pytest.mark.parametrize(("status", "opens_in", "closes_in", "expected"), [
    ("open", -HOUR, HOUR, True),
    ("open", None, None, True),
    ("open", timedelta(0), HOUR, True),        # opens_at is included
    ("open", -HOUR, timedelta(0), False),      # closes_at is not
    ("open", HOUR, 2 * HOUR, False),           # not yet
    ("open", -2 * HOUR, -HOUR, False),         # over
    ("open", None, HOUR, True),
    ("open", -HOUR, None, True),
    ("planned", -HOUR, HOUR, False),
    ("closed", None, None, False),
    ("reported", -HOUR, HOUR, False),
])
def test_consultation_target_is_open_only_with_open_status_inside_its_window(
        status: str, opens_in: timedelta | None, closes_in: timedelta | None, expected: bool) -> None:
    assert target(status, opens_in, closes_in).is_open_at(FIXED_NOW) is expected
