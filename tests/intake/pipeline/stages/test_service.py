"""Behaviour of the service stage: explicit choices win, otherwise keywords or no guess at all."""

from __future__ import annotations

import pytest

from intake.message import Answers, IncomingMessage
from intake.pipeline import Draft, PipelineContext, RejectedMessage, TagProposal
from intake.pipeline.stages.service import MAX_KEYWORD_CONFIDENCE, STAGE


def services(context: PipelineContext, text: str, *chosen: str) -> tuple[TagProposal, ...]:
    message = IncomingMessage("web", "m-1", text, answers=Answers(services=chosen))
    tags = STAGE(Draft(message=message, text=text), context).tags
    assert all(tag.kind == "service" and tag.tagger == "service@1" for tag in tags)
    return tags


def inferred(context: PipelineContext, text: str) -> dict[str, float]:
    tags = services(context, text)
    assert all(tag.source == "auto" for tag in tags)
    return {tag.value: tag.confidence for tag in tags}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My GP surgery never answers the phone", "gp"),
        ("The pharmacist was brilliant", "pharmacy"),
        ("I can't find an NHS dentist anywhere", "dental"),
        ("The midwife came every day", "maternity"),
        ("Waited six hours in A&E", "a-and-e"),
        ("I rang 111 at night", "nhs-111"),
        ("میرے جی پی بہت اچھے ہیں", "gp"),
        ("دانت میں درد تھا", "dental"),
        ("Lekarz rodzinny nie miał czasu", "gp"),
        ("Położna była bardzo miła", "maternity"),
        ("Czekałem na karetkę dwie godziny", "ambulance"),
    ],
)
def test_a_keyword_suggests_its_service(context: PipelineContext, text: str, expected: str) -> None:
    assert inferred(context, text) == {expected: 0.6}


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        ("The dentist", 0.6),
        ("The dentist looked at my tooth", 0.7),
        ("The dentist looked at my tooth and then my teeth", 0.8),
        ("The dentist said my tooth and teeth needed a filling", 0.9),
        ("Dentist, dental, tooth, teeth, toothache, filling, orthodontist", 0.9),
        ("dentist " * 20, 0.9),
    ],
)
def test_confidence_rises_with_hits_but_is_capped(
    context: PipelineContext, text: str, confidence: float
) -> None:
    assert inferred(context, text) == {"dental": confidence}
    assert confidence <= MAX_KEYWORD_CONFIDENCE == 0.9


def test_evidence_lists_each_keyword_once(context: PipelineContext) -> None:
    [tag] = services(context, "The dentist, the DENTIST and my tooth")
    assert tag.evidence == "dentist, tooth"
    assert tag.confidence == 0.8


def test_several_services_are_ordered_by_confidence_then_id(context: PipelineContext) -> None:
    text = "The pharmacist told me to see my GP, then the GP practice nurse, then the dentist"
    tags = services(context, text)
    assert [(tag.value, tag.confidence) for tag in tags] == [("gp", 0.7), ("dental", 0.6), ("pharmacy", 0.6)]


@pytest.mark.parametrize("text", ["Thank you", "It was fine", "Something else entirely, other things"])
def test_no_keyword_means_no_service_tag(context: PipelineContext, text: str) -> None:
    assert services(context, text) == ()


def test_other_is_never_inferred(context: PipelineContext) -> None:
    text = "Other. Something else. Other other other."
    assert "other" not in {tag.value for tag in services(context, text)}


def test_explicit_choice_wins_over_keywords(context: PipelineContext) -> None:
    tags = services(context, "The GP and the dentist were both great", "maternity")
    assert [(tag.value, tag.source, tag.confidence) for tag in tags] == [("maternity", "contributor", 1.0)]


def test_other_may_be_chosen_explicitly(context: PipelineContext) -> None:
    [tag] = services(context, "Thank you", "other")
    assert (tag.value, tag.source) == ("other", "contributor")


def test_explicit_choices_keep_order_without_duplicates(context: PipelineContext) -> None:
    tags = services(context, "Thanks", "pharmacy", "gp", "pharmacy")
    assert [tag.value for tag in tags] == ["pharmacy", "gp"]


@pytest.mark.parametrize("chosen", [("hairdresser",), ("gp", "GP"), ("dentist",)])
def test_unknown_explicit_service_is_rejected_naming_the_choices(
    context: PipelineContext, chosen: tuple[str, ...]
) -> None:
    with pytest.raises(RejectedMessage) as caught:
        services(context, "Thanks", *chosen)
    message = str(caught.value)
    assert f"Unknown service {chosen[-1]!r}" in message
    assert "Choose one of:" in message
    for valid in sorted(context.config.service_ids):
        assert valid in message
