"""The redaction stage: fills the redacted copy from the (normalised) text and changes nothing else."""

from __future__ import annotations

import pytest

from intake.message import IncomingMessage
from intake.pipeline import Draft, PipelineContext, TagProposal
from intake.pipeline.stages.redaction import STAGE

GP = TagProposal("service", "gp", 0.9, "auto", "service@2")


def draft(text: str, message_text: str | None = None) -> Draft:
    message = IncomingMessage("web", "m-1", text if message_text is None else message_text)
    return Draft(message=message, text=text, tags=(GP,), stage_versions=("normalise@1",))


def test_the_stage_is_redaction_version_one() -> None:
    assert STAGE.label == "redaction@1"


@pytest.mark.parametrize(("text", "redacted"), [
    ("Call me on 07700 900123 please", "Call me on [phone number] please"),
    ("Email sam@example.test about it", "Email [email address] about it"),
    ("We live near LS1 4AP", "We live near [postcode]"),
    ("My name is Jo Bloggs and the GP was kind", "My name is [name] and the GP was kind"),
    ("My date of birth is 01/02/1980", "My date of birth is [date of birth]"),
    ("Nothing personal here", "Nothing personal here"),
    ("", ""),
])
def test_identifiers_are_replaced_in_the_redacted_copy(context: PipelineContext, text: str,
                                                       redacted: str) -> None:
    assert STAGE(draft(text), context).redacted_text == redacted


def test_the_text_tags_and_message_are_left_alone(context: PipelineContext) -> None:
    before = draft("Ring 07700 900123 about my GP")
    after = STAGE(before, context)
    assert after.text == "Ring 07700 900123 about my GP"
    assert after.message is before.message
    assert after.tags == (GP,)
    assert after.links == ()
    assert after.stage_versions == ("normalise@1", "redaction@1")
    assert before.redacted_text == ""


def test_the_redacted_copy_comes_from_the_draft_text_not_the_raw_message(context: PipelineContext) -> None:
    """Redaction follows normalisation: the draft's text, not what first arrived, is redacted."""
    after = STAGE(draft("Clean text", message_text="Raw text with 07700 900123"), context)
    assert after.redacted_text == "Clean text"


def test_an_earlier_redacted_copy_is_replaced_not_kept(context: PipelineContext) -> None:
    stale = Draft(message=IncomingMessage("web", "m-1", "x"), text="New text, sam@example.test",
                  redacted_text="old copy")
    assert STAGE(stale, context).redacted_text == "New text, [email address]"
