"""Choosing a theme model's numbers from out-of-fold margins: the regularisation, each theme's
threshold, and the scale that turns a margin into a probability.

Everything here reads only the training examples it is given (cross-validation inside them), so a
held-out set stays untouched. The reasons for each choice:

- One linear SVC per theme (one-vs-rest) with ``class_weight="balanced"``: most themes are rare
  (a few dozen of ~3,000 comments), and unweighted they are almost never predicted.
- An SVC margin is not a probability, so a sigmoid is fitted to each theme's out-of-fold margins
  (Platt scaling, with Platt's smoothed targets so a rare theme never gets a certainty of 1). That
  is what staff see as confidence. It costs two numbers per theme, where scikit-learn's
  ``CalibratedClassifierCV`` would keep one SVC per fold.
- A theme's own best threshold is noisy when it has few examples, so it is pulled towards the one
  threshold that suits all themes best, in proportion to how few examples the theme has.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy import optimize, sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC

RANDOM_STATE = 0
# Margins a threshold may take: the SVC's margin of 0 lies mid-way; past ±1 is rarely useful.
THRESHOLD_GRID = np.round(np.linspace(-1.0, 1.0, 41), 3)
# The margin given to a theme with no positive examples in a fold (nothing to learn from).
ABSENT_MARGIN = -1.0


def folds(count: int, splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed, shuffled folds over ``count`` rows: (training rows, scored rows) for each."""
    splits = max(2, min(splits, count))
    return list(KFold(splits, shuffle=True, random_state=RANDOM_STATE).split(np.zeros(count)))


def fit_margins(features: sparse.csr_matrix, targets: np.ndarray,
                regularisation: float) -> tuple[np.ndarray, np.ndarray]:
    """One linear SVC per column of ``targets`` (rows × themes, booleans): (weights, intercepts).

    A theme whose examples are all positive or all negative gets zero weights and a constant
    margin, since an SVC cannot be fitted to one class.
    """
    weights = np.zeros((targets.shape[1], features.shape[1]))
    intercepts = np.zeros(targets.shape[1])
    for column in range(targets.shape[1]):
        positive = targets[:, column]
        if positive.all() or not positive.any():
            intercepts[column] = -ABSENT_MARGIN if positive.all() else ABSENT_MARGIN
            continue
        classifier = LinearSVC(C=regularisation, class_weight="balanced", random_state=RANDOM_STATE,
                               max_iter=10_000)
        with warnings.catch_warnings():  # a rare theme may stop a little short; its margins still rank
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(features, positive)
        weights[column] = classifier.coef_[0]
        intercepts[column] = classifier.intercept_[0]
    return weights, intercepts


def platt_scale(margins: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """(slope, offset) of the sigmoid 1 / (1 + exp(-(slope * margin + offset))) that fits the
    out-of-fold margins best, with Platt's smoothed targets."""
    positives = float(positive.sum())
    negatives = float(len(positive) - positives)
    target = np.where(positive, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * margins + params[1]
        p = 1.0 / (1.0 + np.exp(-z))
        # log(1 + exp(z)) - target * z, written so large margins do not overflow
        value = np.sum(np.logaddexp(0.0, z) - target * z)
        gradient = p - target
        return float(value), np.array([np.dot(gradient, margins), gradient.sum()])

    start = np.array([1.0, np.log((positives + 1) / (negatives + 1))])
    result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def f1(predicted: np.ndarray, positive: np.ndarray) -> float:
    found, wanted = int(predicted.sum()), int(positive.sum())
    if not found + wanted:
        return 0.0
    return 2 * int((predicted & positive).sum()) / (found + wanted)


def macro_f1(margins: np.ndarray, targets: np.ndarray, thresholds: np.ndarray | float) -> float:
    predicted = margins >= thresholds
    return float(np.mean([f1(predicted[:, j], targets[:, j]) for j in range(targets.shape[1])]))


def shared_threshold(margins: np.ndarray, targets: np.ndarray) -> float:
    """The one threshold for every theme with the best macro F1 (the lowest, on a tie)."""
    scores = [macro_f1(margins, targets, t) for t in THRESHOLD_GRID]
    return float(THRESHOLD_GRID[int(np.argmax(scores))])


def thresholds(margins: np.ndarray, targets: np.ndarray, prior: float) -> np.ndarray:
    """Each theme's threshold: its own best F1 threshold (nearest the shared one, on a tie),
    weighed against the shared one as examples / (examples + prior)."""
    shared = shared_threshold(margins, targets)
    chosen = np.empty(targets.shape[1])
    for j in range(targets.shape[1]):
        scores = np.array([f1(margins[:, j] >= t, targets[:, j]) for t in THRESHOLD_GRID])
        best = np.flatnonzero(scores == scores.max())
        own = THRESHOLD_GRID[best[np.argmin(np.abs(THRESHOLD_GRID[best] - shared))]]
        examples = float(targets[:, j].sum())
        weight = examples / (examples + prior) if prior > 0 else 1.0
        chosen[j] = weight * own + (1 - weight) * shared
    return chosen


def best_regularisation(out_of_fold: dict[float, np.ndarray], targets: np.ndarray,
                        prior: float) -> tuple[float, dict[float, float]]:
    """The regularisation whose out-of-fold margins, at their tuned thresholds, give the best macro
    F1 (the smallest, on a tie: the simpler model). Returns it with every candidate's figure."""
    figures = {c: macro_f1(margins, targets, thresholds(margins, targets, prior))
               for c, margins in sorted(out_of_fold.items())}
    best = max(figures, key=lambda c: (round(figures[c], 6), -c))
    return best, figures


def overlapping(seeds: Sequence[str], texts: Sequence[str], min_length: int = 15) -> set[int]:
    """Indices of seed texts that repeat one of ``texts``: equal, inside it, or (for texts of at
    least ``min_length`` characters) containing it. The framework's examples are partly quoted from
    the same surveys, and a seed that repeats a scored text would flatter the score."""
    scored = [_plain(text) for text in texts]
    scored = [text for text in scored if text]
    found = set()
    for index, seed in enumerate(_plain(seed) for seed in seeds):
        if seed and any(seed in text or (len(text) >= min_length and text in seed) for text in scored):
            found.add(index)
    return found


def _plain(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())
