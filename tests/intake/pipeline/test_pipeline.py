"""Behaviour of pipeline.run(): stage order, versions, end-to-end tagging, and no mutation."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from intake.config import Config
from intake.message import Answers, FftRating, IncomingMessage
from intake.pipeline import (
    PIPELINE_VERSION,
    STAGES,
    WARM_UP_TEXT,
    Draft,
    PipelineContext,
    RejectedMessage,
    Stage,
    Taggers,
    build_taggers,
    run,
)
from intake.pipeline.draft import TagKind, TrackerTarget
from intake.pipeline.stages import normalise, service

STAGE_LABELS = ("normalise@1", "language@3", "service@2", "needs@2", "safety@2", "themes@1", "redaction@1",
                "routing@1")


def message(text: str, answers: Answers | None = None, **fields: Any) -> IncomingMessage:
    return IncomingMessage("web", "m-1", text, answers=answers or Answers(), **fields)


def tag_values(draft: Draft, kind: TagKind) -> list[tuple[str, str]]:
    return [(tag.value, tag.source) for tag in draft.tags_of(kind)]


def test_stages_run_normalise_first_and_routing_last() -> None:
    assert tuple(stage.label for stage in STAGES) == STAGE_LABELS


def test_pipeline_version_names_every_stage_in_order() -> None:
    assert "+".join(STAGE_LABELS) == PIPELINE_VERSION
    assert PIPELINE_VERSION.split("+") == [stage.label for stage in STAGES]


def test_run_records_every_stage_version_in_order(context: PipelineContext) -> None:
    draft = run(message("The pharmacist was helpful"), context)
    assert draft.stage_versions == STAGE_LABELS


def test_run_applies_the_stages_it_is_given_in_that_order(context: PipelineContext) -> None:
    seen: list[str] = []

    def recording(name: str) -> Stage:
        def apply(draft: Draft, _: PipelineContext) -> Draft:
            seen.append(name)
            return draft
        return Stage(name, 3, apply)

    draft = run(message("hello"), context, stages=(recording("b"), recording("a"), recording("c")))
    assert seen == ["b", "a", "c"]
    assert draft.stage_versions == ("b@3", "a@3", "c@3")


def test_later_stages_see_normalised_text(context: PipelineContext) -> None:
    draft = run(message("My   GP\n\n\n\nsurgery"), context, stages=(normalise.STAGE, service.STAGE))
    assert draft.text == "My GP\n\nsurgery"
    assert tag_values(draft, "service") == [("gp", "auto")]


def test_gp_surgery_example(context: PipelineContext) -> None:
    draft = run(message("My GP surgery never answers the phone"), context)
    assert tag_values(draft, "service") == [("gp", "auto")]
    assert tag_values(draft, "language") == [("en", "auto")]
    assert draft.tags_of("need") == ()
    assert draft.tags_of("flag") == ()


def test_bsl_interpreter_example(context: PipelineContext) -> None:
    draft = run(message("My dad is Deaf and needs a BSL interpreter at every appointment."), context)
    [need] = draft.tags_of("need")
    assert (need.value, need.code, need.source) == ("bsl-interpreter", "204331000000107", "auto")


def test_explicit_language_beats_detection(context: PipelineContext) -> None:
    draft = run(message("My GP surgery never answers the phone", Answers(language="ur")), context)
    [language] = draft.tags_of("language")
    assert (language.value, language.source, language.confidence) == ("ur", "contributor", 1.0)


def test_explicit_service_beats_keywords(context: PipelineContext) -> None:
    draft = run(message("The GP and the dentist were both great", Answers(services=("maternity",))), context)
    assert tag_values(draft, "service") == [("maternity", "contributor")]


def test_unsupported_explicit_language_is_rejected(context: PipelineContext) -> None:
    with pytest.raises(RejectedMessage, match="'de' is not one we support"):
        run(message("Hallo", Answers(language="de")), context)


def test_rating_alone_passes_through_every_stage(context: PipelineContext) -> None:
    draft = run(message("", Answers(fft_rating=FftRating.GOOD)), context)
    assert draft.text == ""
    assert tag_values(draft, "language") == [("und", "auto")]
    assert draft.stage_versions == STAGE_LABELS


def test_redaction_changes_only_the_redacted_copy(context: PipelineContext) -> None:
    draft = run(message("The GP never rang me back on 07700 900123"), context)
    assert draft.text == "The GP never rang me back on 07700 900123"
    assert draft.redacted_text == "The GP never rang me back on [phone number]"


def test_routing_reads_the_tags_of_earlier_stages(context: PipelineContext) -> None:
    routed = replace(context, tracker_items=(TrackerTarget(5, frozenset({"gp"})),))
    draft = run(message("My GP surgery never answers the phone"), routed)
    assert [(link.target, link.target_id, link.rule_id) for link in draft.links] == [
        ("tracker", 5, "tracker-by-service")
    ]


def test_the_input_message_is_never_mutated(context: PipelineContext) -> None:
    original = message(
        "  My GP  surgery\x00, call 07700 900123. My mum needs an Urdu interpreter  ",
        Answers(needs=("large-print",), consultation="gp-access"),
        metadata={"form": "feedback", "tags": ["a"]},
    )
    snapshot = copy.deepcopy(original)
    draft = run(original, context)
    assert original == snapshot
    assert draft.message is original
    assert draft.text != original.text


def test_the_warm_up_text_is_ordinary_feedback(context: PipelineContext) -> None:
    """Never rejected (build_taggers would then stop before the later stages), and tagged."""
    draft = run(IncomingMessage("warm-up", "warm-up", WARM_UP_TEXT), context)
    assert {t.value for t in draft.tags_of("service")} == {"gp"}
    assert {"large-print"} <= {t.value for t in draft.tags_of("need")}


def test_build_taggers_builds_each_lazy_tagger_once(config: Config) -> None:
    taggers = Taggers(config)
    lazy = {"language", "services", "needs", "safety"}
    assert lazy & set(vars(taggers)) == set()
    build_taggers(config, taggers)
    assert lazy <= set(vars(taggers))
    language = taggers.language
    build_taggers(config, taggers)
    assert taggers.language is language
