"""Cross-validation of the service model: precision and coverage on items held out, one judgement
per item even when staff confirmed two services for it. Synthetic data only."""

from __future__ import annotations

import pytest

from intake.config.schema import ServiceModelSettings
from intake.taggers.service_model import NotEnoughData
from intake.taggers.service_model_evaluation import Evaluation, Judgement, cross_validate
from tests.intake.taggers.synthetic_services import examples

SMALL = ServiceModelSettings(min_examples=20, min_examples_per_service=10)


def test_clear_synthetic_text_is_tagged_precisely_and_mostly() -> None:
    texts, labels = examples()
    evaluation = cross_validate(texts, labels, SMALL)
    assert (evaluation.folds, evaluation.items) == (5, 60)
    assert evaluation.precision is not None and evaluation.precision >= 0.9
    assert evaluation.coverage >= 0.5
    assert evaluation.min_confidence == SMALL.min_confidence


def test_it_is_deterministic() -> None:
    texts, labels = examples()
    assert cross_validate(texts, labels, SMALL) == cross_validate(texts, labels, SMALL)


def test_an_item_confirmed_for_two_services_is_judged_once_and_either_is_right() -> None:
    texts, labels = examples()
    items = list(range(len(texts)))
    both = "Waited at the counter to collect my prescription and the doctor never rang back"
    texts, labels, items = [*texts, both, both], [*labels, "pharmacy", "gp"], [*items, 99, 99]
    evaluation = cross_validate(texts, labels, SMALL, groups=items)
    assert evaluation.items == 61
    [judgement] = [j for j in evaluation.judgements if j.item == 99]
    assert judgement.confirmed == {"pharmacy", "gp"}
    assert judgement.correct == (judgement.predicted in {"pharmacy", "gp"})


def test_figures_over_some_items_only() -> None:
    evaluation = Evaluation(folds=5, min_confidence=0.7, judgements=(
        Judgement(1, "gp", frozenset({"gp"})),
        Judgement(2, "gp", frozenset({"dental"})),
        Judgement(3, None, frozenset({"gp"})),
        Judgement(4, None, frozenset({"dental"})),
    ))
    assert (evaluation.items, evaluation.tagged, evaluation.correct) == (4, 2, 1)
    assert (evaluation.precision, evaluation.coverage) == (0.5, 0.5)
    some = evaluation.only({3, 4})
    assert (some.items, some.precision, some.coverage) == (2, None, 0.0)


def test_too_little_data_is_refused_as_training_would_be() -> None:
    texts, labels = examples(("gp",))
    with pytest.raises(NotEnoughData):
        cross_validate(texts, labels, SMALL)
