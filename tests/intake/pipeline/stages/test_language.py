"""The language stage: the person's own choice wins; otherwise detection, tipped by what we know
of the sender (their history) and what the channel suggests (the hint)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from intake.message import Answers, IncomingMessage
from intake.pipeline import Draft, PipelineContext, RejectedMessage, TagProposal
from intake.pipeline.stages.language import HINT_WEIGHT, STAGE, TAGGER, prior

# Czech and Slovak both write it; on its own the text leans Czech, not far.
AMBIGUOUS = "sestra"
SLOVAK = "Ďakujem, sestra bola veľmi milá a lekár mi všetko vysvetlil."


def draft(text: str = AMBIGUOUS, hint: str | None = None, chosen: str | None = None) -> Draft:
    message = IncomingMessage("sms", "m-1", text, language_hint=hint, answers=Answers(language=chosen))
    return Draft(message=message, text=text)


def with_history(context: PipelineContext, **weights: float) -> PipelineContext:
    return replace(context, language_prior=weights)


def tag(context: PipelineContext, item: Draft) -> TagProposal:
    result = STAGE(item, context)
    (proposal,) = result.tags
    assert result.stage_versions == ("language@3",)
    return proposal


# -- prior -------------------------------------------------------------------------------------

def test_nothing_known_is_no_prior(context: PipelineContext) -> None:
    assert prior(draft(), context) == {}


def test_the_hint_alone_weighs_one(context: PipelineContext) -> None:
    assert prior(draft(hint="pl"), context) == {"pl": HINT_WEIGHT} == {"pl": 1.0}


def test_history_is_normalised_to_sum_to_one(context: PipelineContext) -> None:
    weights = prior(draft(), with_history(context, sk=6.0, cs=2.0))
    assert weights == pytest.approx({"sk": 0.75, "cs": 0.25})


def test_the_hint_counts_as_much_as_all_the_history(context: PipelineContext) -> None:
    weights = prior(draft(hint="cs"), with_history(context, sk=6.0, cs=2.0))
    assert weights == pytest.approx({"sk": 0.75, "cs": 1.25})
    weights = prior(draft(hint="pl"), with_history(context, sk=22.0))
    assert weights == pytest.approx({"sk": 1.0, "pl": 1.0})


@pytest.mark.parametrize("history", [{"sk": 0.0}, {"sk": -2.0}, {"sk": 0.0, "cs": -1.0}])
def test_history_without_positive_weight_is_ignored(
        context: PipelineContext, history: dict[str, float]) -> None:
    assert prior(draft(), with_history(context, **history)) == {}
    assert prior(draft(hint="sk"), with_history(context, **history)) == {"sk": 1.0}


def test_only_positive_history_counts_towards_the_total(context: PipelineContext) -> None:
    assert prior(draft(), with_history(context, sk=3.0, cs=-3.0)) == {"sk": 1.0}


# -- the stage ---------------------------------------------------------------------------------

def test_without_a_prior_the_text_decides(context: PipelineContext) -> None:
    proposal = tag(context, draft())
    assert (proposal.kind, proposal.value, proposal.source, proposal.tagger) == (
        "language", "cs", "auto", TAGGER)
    assert proposal.confidence == context.taggers.language.detect(AMBIGUOUS).confidence


def test_the_hint_alone_tips_an_ambiguous_word(context: PipelineContext) -> None:
    proposal = tag(context, draft(hint="sk"))
    assert (proposal.value, proposal.source) == ("sk", "auto")
    assert proposal.confidence < 0.99


def test_the_history_alone_tips_an_ambiguous_word(context: PipelineContext) -> None:
    assert tag(with_history(context, sk=3.0), draft()).value == "sk"


def test_hint_and_history_together(context: PipelineContext) -> None:
    # A history split evenly leaves the text to decide; the hint then tips it.
    split = with_history(context, sk=4.0, cs=4.0)
    assert tag(split, draft()).value == "cs"
    assert tag(split, draft(hint="sk")).value == "sk"


def test_a_prior_does_not_override_a_clear_sentence(context: PipelineContext) -> None:
    assert tag(with_history(context, cs=20.0), draft(SLOVAK, hint="cs")).value == "sk"


def test_no_signal_stays_undetermined_whatever_the_prior(context: PipelineContext) -> None:
    proposal = tag(with_history(context, pl=5.0), draft("ok 👍", hint="pl"))
    assert (proposal.value, proposal.confidence) == ("und", 0.0)


def test_the_contributors_own_choice_wins(context: PipelineContext) -> None:
    proposal = tag(with_history(context, sk=5.0), draft(SLOVAK, hint="sk", chosen="pl"))
    assert proposal == TagProposal("language", "pl", 1.0, "contributor", TAGGER)


def test_a_chosen_language_we_do_not_support_is_rejected(context: PipelineContext) -> None:
    with pytest.raises(RejectedMessage) as caught:
        STAGE(draft(chosen="de"), context)
    message = str(caught.value)
    assert "'de'" in message
    assert "en" in message and "ur" in message  # says which languages to choose from
