"""The plain data that flows through the pipeline: a draft grows tags and links stage by stage."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from intake.message import IncomingMessage
from intake.open_period import is_open

TagKind = Literal["service", "language", "need", "flag", "theme"]
TagSource = Literal["auto", "contributor", "staff"]


@dataclass(frozen=True)
class TagProposal:
    """A tag a stage wants on the item; ``evidence`` is the words that led to it, for staff."""

    kind: TagKind
    value: str
    confidence: float
    source: TagSource
    tagger: str
    code: str | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class LinkProposal:
    target: Literal["tracker", "consultation"]
    target_id: int
    rule_id: str


@dataclass(frozen=True)
class TrackerTarget:
    """An active tracker item, as routing needs to see it."""

    id: int
    services: frozenset[str]


@dataclass(frozen=True)
class ConsultationTarget:
    """A consultation, as routing needs to see it."""

    id: int
    slug: str
    services: frozenset[str]
    keywords: tuple[str, ...]
    opens_at: datetime | None
    closes_at: datetime | None
    status: str

    def is_open_at(self, moment: datetime) -> bool:
        return is_open(self.status, self.opens_at, self.closes_at, moment)


@dataclass(frozen=True)
class Draft:
    """The item being built. Stages return a new draft; nothing is mutated."""

    message: IncomingMessage
    text: str
    redacted_text: str = ""
    tags: tuple[TagProposal, ...] = ()
    links: tuple[LinkProposal, ...] = ()
    stage_versions: tuple[str, ...] = field(default=())

    def with_tags(self, *tags: TagProposal) -> Draft:
        return replace(self, tags=self.tags + tags)

    def tags_of(self, kind: TagKind) -> tuple[TagProposal, ...]:
        return tuple(tag for tag in self.tags if tag.kind == kind)
