"""How the service model would do on feedback it has not seen: k-fold cross-validation, reported
as precision and coverage at the confidence bar, before anyone trusts a new model.

Precision is the share of the items it tagged whose service staff confirmed; coverage is the
share it tagged at all (the rest wait for a person). Examples that belong to one item (a text
confirmed for two services) stay in the same fold, and a tag counts as right when it is any of
the item's confirmed services.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, replace

from sklearn.model_selection import StratifiedGroupKFold

from intake.config.schema import ServiceModelSettings
from intake.taggers.service_model import (
    NOT_LEARNED,
    RANDOM_STATE,
    ServiceModel,
    learnable_services,
)

FOLDS = 5


@dataclass(frozen=True)
class Judgement:
    """What the model said about one held-out item, against what staff confirmed."""

    item: Hashable
    predicted: str | None
    confirmed: frozenset[str]

    @property
    def correct(self) -> bool:
        return self.predicted is not None and self.predicted in self.confirmed


@dataclass(frozen=True)
class Evaluation:
    folds: int
    min_confidence: float
    judgements: tuple[Judgement, ...]

    @property
    def items(self) -> int:
        return len(self.judgements)

    @property
    def tagged(self) -> int:
        return sum(j.predicted is not None for j in self.judgements)

    @property
    def correct(self) -> int:
        return sum(j.correct for j in self.judgements)

    @property
    def precision(self) -> float | None:
        """None when the model abstained on every item (nothing to be right or wrong about)."""
        return self.correct / self.tagged if self.tagged else None

    @property
    def coverage(self) -> float:
        return self.tagged / self.items if self.items else 0.0

    def only(self, items: Collection[Hashable]) -> Evaluation:
        """The same evaluation over some of the items (say, those no keyword tags)."""
        return replace(self, judgements=tuple(j for j in self.judgements if j.item in items))


def cross_validate(texts: Sequence[str], labels: Sequence[str],
                   settings: ServiceModelSettings | None = None, *,
                   groups: Sequence[Hashable] | None = None, never_predict: Collection[str] = (),
                   folds: int = FOLDS) -> Evaluation:
    """Train on all folds but one and judge the one left out, for each fold in turn.

    ``groups`` names the item each example comes from (rows of one group share one text); by
    default each example is its own item. Raises NotEnoughData as ``ServiceModel.train`` does.
    """
    settings = settings or ServiceModelSettings()
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    groups = list(range(len(texts))) if groups is None else list(groups)
    counts = Counter(labels)
    learned = learnable_services(counts, settings, never_predict)
    targets = [label if label in learned else NOT_LEARNED for label in labels]
    truths: dict[Hashable, set[str]] = defaultdict(set)
    for group, label in zip(groups, labels, strict=True):
        truths[group].add(label)
    folds = min(folds, len(truths))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=RANDOM_STATE)
    judged: dict[Hashable, str | None] = {}
    with warnings.catch_warnings():
        # A small "not learned" class has fewer members than folds; it is still fine to use.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(splitter.split(texts, targets, groups))
    for train, test in splits:
        model = ServiceModel.fit([texts[i] for i in train], [targets[i] for i in train], settings,
                                 counts=counts, services=learned, never_predict=never_predict)
        first_rows: dict[Hashable, int] = {}  # one prediction per item
        for i in test:
            first_rows.setdefault(groups[i], i)
        predictions = model.predict_many([texts[i] for i in first_rows.values()])
        for group, prediction in zip(first_rows, predictions, strict=True):
            judged[group] = prediction.service if prediction else None
    return Evaluation(folds=folds, min_confidence=settings.min_confidence, judgements=tuple(
        Judgement(group, judged[group], frozenset(truths[group])) for group in truths))
