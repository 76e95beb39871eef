"""Behaviour of the service stage: explicit choices win, then keywords, then (only when no keyword
matched) the learned model; otherwise no guess at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from intake.config import Config
from intake.config.schema import ServiceModelSettings
from intake.message import Answers, IncomingMessage
from intake.pipeline import Draft, PipelineContext, RejectedMessage, Taggers, TagProposal
from intake.pipeline.stages.service import MAX_KEYWORD_CONFIDENCE, NEVER_INFERRED, STAGE
from intake.taggers.service_model import ServiceModel, ServicePrediction
from tests.intake.taggers.synthetic_services import HELD_OUT, OFF_TOPIC, examples


def services(context: PipelineContext, text: str, *chosen: str) -> tuple[TagProposal, ...]:
    message = IncomingMessage("web", "m-1", text, answers=Answers(services=chosen))
    tags = STAGE(Draft(message=message, text=text), context).tags
    assert all(tag.kind == "service" and tag.tagger == "service@2" for tag in tags)
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


# --- the learned model: only when no keyword matched, and silent when unsure ---------------------

TRAINED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SMALL = ServiceModelSettings(min_examples=20, min_examples_per_service=10)


class FakeModel:
    """Stands in for a trained model: says what it is told and remembers what it was asked."""

    tagger = "service-model@1"
    examples = 412
    trained_at = TRAINED_AT

    def __init__(self, prediction: ServicePrediction | None = None, fails: bool = False) -> None:
        self.prediction, self.fails = prediction, fails
        self.asked: list[str] = []

    def predict(self, text: str) -> ServicePrediction | None:
        self.asked.append(text)
        if self.fails:
            raise RuntimeError("model exploded")
        return self.prediction


@pytest.fixture(scope="module")
def learning_taggers(config: Config) -> Taggers:
    texts, labels = examples()
    model = ServiceModel.train(texts, labels, SMALL, never_predict=NEVER_INFERRED, now=TRAINED_AT)
    return Taggers(config, service_model=model)


def with_model(context: PipelineContext, model: object) -> PipelineContext:
    return replace(context, taggers=Taggers(context.config, service_model=model))  # type: ignore[arg-type]


def stage_tags(context: PipelineContext, text: str, *chosen: str) -> tuple[TagProposal, ...]:
    message = IncomingMessage("web", "m-1", text, answers=Answers(services=chosen))
    return STAGE(Draft(message=message, text=text), context).tags


@pytest.mark.parametrize(("service", "text"),
                         [(service, text) for service, texts in HELD_OUT.items() for text in texts])
def test_the_model_tags_text_that_names_no_keyword(
        context: PipelineContext, learning_taggers: Taggers, service: str, text: str) -> None:
    [tag] = stage_tags(replace(context, taggers=learning_taggers), text)
    assert (tag.kind, tag.value, tag.source, tag.tagger) == ("service", service, "auto", "service-model@1")
    assert SMALL.min_confidence <= tag.confidence <= 0.99
    assert tag.evidence is not None
    assert tag.evidence.startswith("learned model: 60 staff-confirmed examples, trained 2026-11-20; words: ")


def test_without_a_model_the_same_text_gets_no_service(context: PipelineContext) -> None:
    assert stage_tags(context, HELD_OUT["dental"][0]) == ()


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_the_model_abstains_rather_than_guess(
        context: PipelineContext, learning_taggers: Taggers, text: str) -> None:
    assert stage_tags(replace(context, taggers=learning_taggers), text) == ()


def test_keywords_win_and_the_model_is_not_asked(context: PipelineContext) -> None:
    model = FakeModel(ServicePrediction("dental", 0.95))
    tags = stage_tags(with_model(context, model), "The pharmacist was brilliant")
    assert [(tag.value, tag.tagger) for tag in tags] == [("pharmacy", "service@2")]
    assert model.asked == []


def test_an_explicit_choice_wins_and_the_model_is_not_asked(context: PipelineContext) -> None:
    model = FakeModel(ServicePrediction("dental", 0.95))
    tags = stage_tags(with_model(context, model), "The hygienist was lovely", "maternity")
    assert [(tag.value, tag.source) for tag in tags] == [("maternity", "contributor")]
    assert model.asked == []


def test_evidence_shows_the_training_and_the_words(context: PipelineContext) -> None:
    model = FakeModel(ServicePrediction("dental", 0.999, ("hygienist", "gums")))
    [tag] = stage_tags(with_model(context, model), "The hygienist looked at my gums")
    assert tag.evidence == "learned model: 412 staff-confirmed examples, trained 2026-11-20; " \
                           "words: hygienist, gums"
    assert tag.confidence == 0.99  # never shown as certain


@pytest.mark.parametrize("service", ["other", "hairdresser"])
def test_other_and_services_no_longer_configured_are_never_inferred(
        context: PipelineContext, service: str) -> None:
    model = FakeModel(ServicePrediction(service, 0.95))
    assert stage_tags(with_model(context, model), "Something happened") == ()
    assert model.asked == ["Something happened"]


def test_a_failing_model_leaves_the_item_for_a_person(
        context: PipelineContext, caplog: pytest.LogCaptureFixture) -> None:
    assert stage_tags(with_model(context, FakeModel(fails=True)), "Something happened") == ()
    assert "learned service model failed" in caplog.text


def test_blank_text_is_not_put_to_the_model(context: PipelineContext) -> None:
    model = FakeModel(ServicePrediction("gp", 0.95))
    assert stage_tags(with_model(context, model), "") == ()
    assert model.asked == []
