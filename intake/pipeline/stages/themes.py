"""Tag the themes of the NHS patient-experience framework the feedback is about, when a theme
model has been trained (`intake train themes`); without one, this stage does nothing.

The model learned from English survey comments, so it is asked only about text in its language
(or text whose language is not known): on other languages its guesses would be noise. A theme
is a suggestion for staff, with the words that weighed most for it as evidence.
"""

from __future__ import annotations

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import Stage
from intake.taggers.language.detector import UNDETERMINED

NAME, VERSION = "themes", 1
TAGGER = f"{NAME}@{VERSION}"
# The model's file in the models directory; `intake train themes` writes it.
MODEL_FILE = "themes.npz"


def apply(draft: Draft, context: PipelineContext) -> Draft:
    model = context.taggers.theme_model
    if model is None or not draft.text.strip():
        return draft
    languages = {tag.value for tag in draft.tags_of("language")} - {UNDETERMINED}
    if languages and model.language not in languages:
        return draft
    return draft.with_tags(*(
        TagProposal("theme", theme.label, round(theme.score, 2), "auto", TAGGER,
                    evidence=", ".join(theme.words) or None)
        for theme in model.predict(draft.text)
    ))


STAGE = Stage(NAME, VERSION, apply)
