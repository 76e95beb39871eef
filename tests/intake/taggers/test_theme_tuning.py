"""Choosing the theme model's numbers: thresholds pulled towards the shared one when examples are
few, a sigmoid that keeps the margins' order, and framework examples that repeat scored text."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from intake.taggers import theme_tuning as tuning


def test_folds_are_fixed_and_cover_every_row_once() -> None:
    first, second = tuning.folds(23, 5), tuning.folds(23, 5)
    assert [list(s) for _, s in first] == [list(s) for _, s in second]
    assert sorted(np.concatenate([scored for _, scored in first]).tolist()) == list(range(23))
    assert len(tuning.folds(3, 5)) == 3  # never more folds than rows


def test_a_theme_with_one_class_gets_a_constant_margin() -> None:
    features = sparse.csr_matrix(np.eye(4))
    targets = np.array([[True, False, True], [True, False, False], [True, False, True],
                        [True, False, False]])
    weights, intercepts = tuning.fit_margins(features, targets, 1.0)
    assert weights.shape == (3, 4)
    assert not weights[0].any() and not weights[1].any() and weights[2].any()
    assert intercepts[0] > 0 > intercepts[1]


def test_the_sigmoid_keeps_the_order_and_never_says_certain() -> None:
    margins = np.array([-2.0, -1.5, -1.0, -0.5, 0.2, 0.8, 1.5, 2.0])
    positive = margins > 0
    slope, offset = tuning.platt_scale(margins, positive)
    probability = 1 / (1 + np.exp(-(slope * margins + offset)))
    assert slope > 0
    assert np.all(np.diff(probability) > 0)
    assert probability.max() < 1.0 and probability.min() > 0.0


def test_a_rare_theme_threshold_leans_towards_the_shared_one() -> None:
    rng = np.random.default_rng(0)
    common = rng.random(200) < 0.5
    rare = np.zeros(200, dtype=bool)
    rare[:3] = True
    targets = np.column_stack([common, rare])
    # The common theme needs a threshold below -0.2; the rare one, above 0 (some negatives sit
    # at 0). The shared threshold suits the common theme.
    rare_margins = np.where(rare, 0.9, np.where(np.arange(200) % 10 == 0, 0.0, -0.5))
    margins = np.column_stack([np.where(common, -0.2, -0.5), rare_margins])
    shared = tuning.shared_threshold(margins, targets)
    own = tuning.thresholds(margins, targets, prior=0)
    pulled = tuning.thresholds(margins, targets, prior=20)
    assert shared < -0.2 and own[1] > 0
    assert shared < pulled[1] < own[1]
    assert pulled[1] - shared == pytest.approx((own[1] - shared) * 3 / 23)
    assert tuning.macro_f1(margins, targets, own) == 1.0


def test_the_simpler_model_wins_a_tie() -> None:
    targets = np.array([[True], [False]])
    margins = np.array([[1.0], [-1.0]])
    best, figures = tuning.best_regularisation({0.5: margins, 0.1: margins}, targets, 20)
    assert best == 0.1 and figures == {0.1: 1.0, 0.5: 1.0}


def test_finds_seed_examples_that_repeat_scored_text() -> None:
    seeds = ["The food was cold!", "Communication", "Lovely staff on the ward", "Nothing like it"]
    scored = ["the food was cold", "Poor communication throughout", "Lovely staff", "ok"]
    # equal (ignoring case and punctuation); inside a scored text; but a short scored text
    # ("Lovely staff", "ok") inside a seed does not count: too many seeds would contain it.
    assert tuning.overlapping(seeds, scored) == {0, 1}
    assert tuning.overlapping(seeds, ["Lovely staff on the ward today, thank you"]) == {2}
