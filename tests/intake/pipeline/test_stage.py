"""The stage shape: a label of name and version, a call that records the label after applying,
and a rejection that is a ValueError carrying a message for people."""

from __future__ import annotations

import dataclasses

import pytest

from intake.message import IncomingMessage
from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage

GP = TagProposal("service", "gp", 0.9, "auto", "service@2")


def draft(text: str = "My GP was kind", versions: tuple[str, ...] = ()) -> Draft:
    return Draft(message=IncomingMessage("web", "m-1", text), text=text, stage_versions=versions)


def tagging(_draft: Draft, _context: PipelineContext) -> Draft:
    return _draft.with_tags(GP)


def test_label_is_name_at_version() -> None:
    assert Stage("service", 2, tagging).label == "service@2"
    assert Stage("needs", 10, tagging).label == "needs@10"


def test_calling_a_stage_applies_it_and_appends_its_label(context: PipelineContext) -> None:
    result = Stage("service", 2, tagging)(draft(versions=("normalise@1",)), context)
    assert result.tags == (GP,)
    assert result.stage_versions == ("normalise@1", "service@2")


def test_the_label_goes_on_the_draft_the_stage_returned(context: PipelineContext) -> None:
    """A stage that rebuilds the draft from scratch still gets its label after its own output."""
    def rebuild(_: Draft, __: PipelineContext) -> Draft:
        return draft("replaced", versions=("elsewhere@4",))

    result = Stage("rebuild", 1, rebuild)(draft(versions=("normalise@1",)), context)
    assert result.text == "replaced"
    assert result.stage_versions == ("elsewhere@4", "rebuild@1")


def test_the_input_draft_is_left_as_it_was(context: PipelineContext) -> None:
    before = draft(versions=("normalise@1",))
    Stage("service", 2, tagging)(before, context)
    assert before.stage_versions == ("normalise@1",)
    assert before.tags == ()


def test_the_stage_sees_the_context_it_is_called_with(context: PipelineContext) -> None:
    def stamp(d: Draft, c: PipelineContext) -> Draft:
        return dataclasses.replace(d, redacted_text=c.now.isoformat())

    assert Stage("stamp", 1, stamp)(draft(), context).redacted_text == context.now.isoformat()


def test_running_the_same_stage_twice_records_it_twice(context: PipelineContext) -> None:
    stage = Stage("service", 2, tagging)
    assert stage(stage(draft(), context), context).stage_versions == ("service@2", "service@2")


def test_a_rejection_passes_through_and_records_nothing(context: PipelineContext) -> None:
    def reject(_: Draft, __: PipelineContext) -> Draft:
        raise RejectedMessage("Please write a few words about your experience.")

    with pytest.raises(RejectedMessage) as caught:
        Stage("normalise", 1, reject)(draft(), context)
    assert str(caught.value) == "Please write a few words about your experience."


def test_rejected_message_is_a_value_error() -> None:
    assert issubclass(RejectedMessage, ValueError)
    assert str(RejectedMessage("Too long.")) == "Too long."


def test_stages_are_frozen_and_compare_by_value() -> None:
    stage = Stage("service", 2, tagging)
    assert stage == Stage("service", 2, tagging)
    assert stage != Stage("service", 3, tagging)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stage.version = 3  # type: ignore[misc]
