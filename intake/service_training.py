"""Training the learned service model from what staff confirmed: the examples, the check on
held-out items, the saved file and its audit record. `intake train services` calls this.

**The examples** are the active service tags staff set (source ``staff``), each with its item's
text. An item staff confirmed for two services gives one example for each: the model learns that
such a text is about both, so it is less sure of either and more often leaves it for a person;
cross-validation keeps the two in the same fold and counts a tag right when it is either one.
Tags for services no longer in ``services.toml`` and items with no text are left out.

**The text** is the original (normalised) text, not the redacted copy. It is exactly what the
service stage reads when it tags (redaction runs later), so the model learns from what it will be
asked about. The file keeps no text: only terms found in at least two items, so a one-off name or
phone number never enters it, and it is written owner-only beside the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Config
from intake.config.schema import ServiceModelSettings
from intake.pipeline.stages.service import NEVER_INFERRED, infer
from intake.storage.models import AuditEvent, Feedback, Tag
from intake.taggers.phrases import PhraseMatcher
from intake.taggers.service_model import ServiceModel
from intake.taggers.service_model_evaluation import Evaluation, cross_validate

TRAINED_ACTION = "service-model.trained"


@dataclass(frozen=True)
class ConfirmedExamples:
    """Training examples, one per staff service tag, in item order."""

    texts: list[str]
    labels: list[str]
    items: list[int]  # the feedback id of each example
    # Left out: tags for services no longer configured (per service), items with no text.
    unknown_services: Counter[str]
    blank_items: int

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.labels)


@dataclass(frozen=True)
class TrainedServiceModel:
    model: ServiceModel
    evaluation: Evaluation
    # The same evaluation over items no keyword tags: the only items the model is asked about.
    unmatched: Evaluation


def confirmed_examples(session: Session, config: Config) -> ConfirmedExamples:
    rows = session.execute(
        select(Feedback.id, Feedback.text, Tag.value)
        .join(Tag, Tag.feedback_id == Feedback.id)
        .where(Tag.kind == "service", Tag.source == "staff", Tag.retracted_at.is_(None))
        .order_by(Feedback.id, Tag.value)).all()
    texts: list[str] = []
    labels: list[str] = []
    items: list[int] = []
    unknown: Counter[str] = Counter()
    blank: set[int] = set()
    for item, text, service in dict.fromkeys(rows):  # the same tag twice is one example
        if service not in config.service_ids:
            unknown[service] += 1
        elif not text.strip():
            blank.add(item)
        else:
            texts.append(text)
            labels.append(service)
            items.append(item)
    return ConfirmedExamples(texts, labels, items, unknown, len(blank))

def train_service_model(examples: ConfirmedExamples, settings: ServiceModelSettings,
                        keywords: PhraseMatcher, now: datetime,
                        never_predict: Collection[str] = NEVER_INFERRED) -> TrainedServiceModel:
    """Cross-validate, then train on every example. Raises NotEnoughData (with the counts)."""
    evaluation = cross_validate(examples.texts, examples.labels, settings, groups=examples.items,
                                never_predict=never_predict)
    model = ServiceModel.train(examples.texts, examples.labels, settings,
                               never_predict=never_predict, now=now)
    unmatched = {item for item, text in zip(examples.items, examples.texts, strict=True)
                 if not infer(text, keywords)}
    return TrainedServiceModel(model, evaluation, evaluation.only(unmatched))


def save_service_model(session: Session, trained: TrainedServiceModel, path: Path, actor: str,
                       now: datetime) -> None:
    """Write the model where the pipeline reads it, and record who trained it on what. The audit
    row is flushed first, so a database problem stops the save rather than going unrecorded."""
    model, evaluation, unmatched = trained.model, trained.evaluation, trained.unmatched
    session.add(AuditEvent(
        occurred_at=now, actor=actor, action=TRAINED_ACTION, entity_type="model",
        entity_id=path.name[:64],
        details={"path": str(path), "format_version": model.format_version,
                 "sklearn_version": model.sklearn_version, "examples": model.examples,
                 "example_counts": model.example_counts, "services": list(model.services),
                 "min_confidence": model.min_confidence, "folds": evaluation.folds,
                 "precision": evaluation.precision, "coverage": evaluation.coverage,
                 "unmatched_items": unmatched.items, "unmatched_precision": unmatched.precision,
                 "unmatched_coverage": unmatched.coverage}))
    session.flush()
    model.save(path)
