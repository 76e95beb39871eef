"""The one shape every pipeline stage has: a name, a version, and a pure function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft


class RejectedMessage(ValueError):
    """The input cannot become feedback. The message is a sentence a person can act on."""


@dataclass(frozen=True)
class Stage:
    """A step of the pipeline. Bump ``version`` whenever its output for the same input changes:
    the version is stored on every tag it makes, and ``intake reprocess`` uses it."""

    name: str
    version: int
    apply: Callable[[Draft, PipelineContext], Draft]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def __call__(self, draft: Draft, context: PipelineContext) -> Draft:
        result = self.apply(draft, context)
        return replace(result, stage_versions=(*result.stage_versions, self.label))
