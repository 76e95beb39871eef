"""The learned theme tagger: what a piece of feedback is about, in the themes of the NHS
patient-experience framework ("Timeliness of care", "Staff manner & personal attributes", ...).

A comment may have several themes or none ("Nothing to add"), so each theme is its own yes/no
question (one-vs-rest), answered by a linear SVC over word 1–2-grams and character 2–5-grams
inside words (misspellings and inflections). ``theme_tuning`` says why each number is chosen as it
is; everything is fitted with fixed seeds, so the same data gives the same model.

Only themes with ``min_examples`` labelled comments are learned: below that, cross-validation has
too few to set a threshold with, and the theme is left for staff to add. Comments of unlearned
themes stay in as examples of what the learned themes are not.

The file is the same kind as the service model's (:mod:`intake.taggers.service_model`): NumPy
arrays and JSON metadata, read with ``allow_pickle=False``, so loading a model never runs code and
a later scikit-learn reads an earlier file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse

from intake.taggers import theme_tuning as tuning
from intake.taggers.model_file import read_model, write_arrays
from intake.taggers.service_model import NGrams

FORMAT_VERSION = 1
KIND = "themes"
FILE_NAME = "themes.npz"
EVIDENCE_WORDS = 3
WORD_FEATURES: dict[str, Any] = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2,
                                 "max_features": 50_000, "sublinear_tf": True}
CHAR_FEATURES: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2,
                                 "max_features": 100_000, "sublinear_tf": True}
ARRAYS = ("metadata", "word_terms", "word_idf", "char_terms", "char_idf", "coef", "intercept",
          "slope", "offset", "threshold")
RETRAIN = "Run `intake train themes --data PATH/v6_dev.csv` to train it again."


class ThemeModelError(Exception):
    """The model cannot be trained or read. The message says what to do next."""


@dataclass(frozen=True)
class ThemeSettings:
    """How a theme model is trained. The defaults were chosen by cross-validation on the training
    four-fifths of the framework v6 comments (see ``intake.evaluation.themes``)."""

    # A theme is learned only with at least this many labelled comments.
    min_examples: int = 10
    # At most this many themes per comment (the most probable first); v6 comments average 1.3.
    max_themes: int = 3
    # SVC regularisation strengths tried by cross-validation; the best is kept.
    regularisation: tuple[float, ...] = (0.1, 0.2, 0.5)
    folds: int = 5
    # How many examples make a theme's own threshold count as much as the shared one.
    threshold_prior: float = 20.0
    # A theme less probable than this is never proposed, whatever its threshold: a hard theme's
    # best-F1 threshold can sit where staff would rightly ignore the tag. (Cross-validated: 0.1
    # costs 0.003 macro F1 and gains 0.03 micro precision.)
    min_score: float = 0.1
    # The language the examples are in; the pipeline asks the model only about text in it.
    language: str = "en"


@dataclass(frozen=True)
class ThemePrediction:
    """A theme the model sees in a text, its probability, and the known words that weighed most
    for it (for staff to judge the tag by)."""

    label: str
    score: float
    words: tuple[str, ...] = field(default=())


class ThemeModel:
    """A trained theme model: ``predict`` a text's themes (possibly none).

    ``labels`` are the themes it can predict; ``metadata`` records what it was trained on (counts
    per theme, themes too rare to learn, the regularisation chosen and its cross-validated macro F1,
    settings, scikit-learn version, when).
    """

    def __init__(self, *, words: NGrams, chars: NGrams, coef: np.ndarray, intercept: np.ndarray,
                 slope: np.ndarray, offset: np.ndarray, threshold: np.ndarray,
                 metadata: Mapping[str, Any]) -> None:
        self._words, self._chars = words, chars
        self._coef, self._intercept = coef, intercept
        self._slope, self._offset, self._threshold = slope, offset, threshold
        self.metadata = dict(metadata)
        self.labels: tuple[str, ...] = tuple(metadata["labels"])
        self.names: dict[str, str] = dict(metadata.get("names", {}))
        self.descriptions: dict[str, str] = dict(metadata.get("descriptions", {}))
        self.settings = ThemeSettings(**{**metadata["settings"], "regularisation": tuple(
            metadata["settings"]["regularisation"])})
        self.language = self.settings.language
        self.trained_at = datetime.fromisoformat(metadata["trained_at"])

    # -- training ----------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Sequence[str], label_sets: Sequence[Collection[str]],
              settings: ThemeSettings | None = None, *, seeds: Sequence[tuple[str, str]] = (),
              names: Mapping[str, str] | None = None, descriptions: Mapping[str, str] | None = None,
              now: datetime | None = None) -> ThemeModel:
        """Learn from texts and their themes (theme ids; an empty set: a text with no theme).

        ``seeds`` are extra (text, theme) examples, such as the framework's own examples: they
        join every training fold but are never scored, and never count towards ``min_examples``.
        ``names`` and ``descriptions`` of the learned themes are kept for people reading the tags.
        """
        settings = settings or ThemeSettings()
        if len(texts) != len(label_sets):
            raise ValueError(f"{len(texts)} texts but {len(label_sets)} label sets")
        counts = Counter(label for labels in label_sets for label in set(labels))
        learned = tuple(sorted(label for label, count in counts.items()
                               if count >= settings.min_examples))
        if not learned:
            raise ThemeModelError(f"No theme has the {settings.min_examples} labelled examples "
                                  "needed to learn it; label more comments or lower min_examples.")
        column = {label: j for j, label in enumerate(learned)}
        targets = _targets(label_sets, column)
        seeds = [(text, label) for text, label in seeds if label in column]
        seed_targets = _targets([{label} for _, label in seeds], column)
        seed_texts = [text for text, _ in seeds]

        out_of_fold = {c: np.zeros(targets.shape) for c in settings.regularisation}
        for train, scored in tuning.folds(len(texts), settings.folds):
            scored_texts = [texts[i] for i in scored]
            repeated = tuning.overlapping(seed_texts, scored_texts)
            kept = [i for i in range(len(seeds)) if i not in repeated]
            words, chars, features = _features([*(texts[i] for i in train),
                                                *(seed_texts[i] for i in kept)])
            fold_targets = np.vstack([targets[train], seed_targets[kept]])
            scored_features = _matrix(words, chars, scored_texts)
            for c in settings.regularisation:
                weights, intercepts = tuning.fit_margins(features, fold_targets, c)
                out_of_fold[c][scored] = scored_features @ weights.T + intercepts

        chosen, figures = tuning.best_regularisation(out_of_fold, targets, settings.threshold_prior)
        margins = out_of_fold[chosen]
        scale = np.array([tuning.platt_scale(margins[:, j], targets[:, j])
                          for j in range(len(learned))])
        threshold = tuning.thresholds(margins, targets, settings.threshold_prior)

        words, chars, features = _features([*texts, *seed_texts])
        weights, intercepts = tuning.fit_margins(features, np.vstack([targets, seed_targets]), chosen)
        metadata = {
            "kind": KIND,
            "format_version": FORMAT_VERSION,
            "trained_at": (now or datetime.now(UTC)).isoformat(),
            "sklearn_version": sklearn.__version__,
            "examples": len(texts),
            "seeds": len(seeds),
            "labels": list(learned),
            "example_counts": dict(sorted(counts.items())),
            "not_learned": sorted(label for label in counts if label not in column),
            "names": {label: text for label, text in (names or {}).items() if label in column},
            "descriptions": {label: text for label, text in (descriptions or {}).items()
                             if label in column},
            "regularisation": chosen,
            "cross_validated_macro_f1": {str(c): round(f, 4) for c, f in figures.items()},
            "settings": asdict(settings),
            "word_features": WORD_FEATURES,
            "char_features": CHAR_FEATURES,
        }
        return cls(words=words, chars=chars, coef=weights.astype(np.float32), intercept=intercepts,
                   slope=scale[:, 0], offset=scale[:, 1], threshold=threshold,
                   metadata=json.loads(json.dumps(metadata)))  # as the file will hold it

    # -- predicting --------------------------------------------------------------------------
    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """The SVC margins, one row per text and one column per label."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        return np.asarray(_matrix(self._words, self._chars, texts) @ self._coef.T) + self._intercept

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Each label's probability for each text (one row per text)."""
        return self._probability(self.margins(texts))

    def _probability(self, margins: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self._slope * margins + self._offset)))

    def predict(self, text: str) -> list[ThemePrediction]:
        """The text's themes, most probable first: at most ``max_themes``, and none when no theme
        clears its threshold (and ``min_score``) or the text has no word the model knows."""
        word_index, word_values = self._words.vector(text)
        char_index, char_values = self._chars.vector(text)
        if not len(word_index):
            return []
        margins = (self._coef[:, word_index] @ word_values
                   + self._coef[:, len(self._words.terms) + char_index] @ char_values
                   + self._intercept)
        probability = self._probability(margins)
        chosen = list(np.flatnonzero((margins >= self._threshold)
                                     & (probability >= self.settings.min_score)))
        chosen.sort(key=lambda j: (-probability[j], self.labels[j]))
        return [ThemePrediction(self.labels[j], float(probability[j]),
                                self._weightiest_words(word_index, word_values, j))
                for j in chosen[:self.settings.max_themes]]

    def predict_many(self, texts: Sequence[str]) -> list[list[ThemePrediction]]:
        return [self.predict(text) for text in texts]

    def name(self, label: str) -> str:
        """The theme's name as the framework words it (its id when the model was not told)."""
        return self.names.get(label, label)

    def description(self, label: str) -> str | None:
        return self.descriptions.get(label)

    def _weightiest_words(self, index: np.ndarray, values: np.ndarray, label: int) -> tuple[str, ...]:
        contributions = values * self._coef[label, index]
        order = np.argsort(-contributions, kind="stable")[:EVIDENCE_WORDS]
        return tuple(self._words.terms[index[i]] for i in order if contributions[i] > 0)

    # -- the file ----------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the model (owner-only: it is derived from restricted feedback text), replacing the
        file in one step so a running service never reads half a model."""
        arrays = {
            "metadata": np.array(json.dumps(self.metadata)),
            "word_terms": np.array(self._words.terms, dtype=str),
            "word_idf": self._words.idf,
            "char_terms": np.array(self._chars.terms, dtype=str),
            "char_idf": self._chars.idf,
            "coef": self._coef,
            "intercept": self._intercept,
            "slope": self._slope,
            "offset": self._offset,
            "threshold": self._threshold,
        }
        write_arrays(path, arrays)

    @classmethod
    def load(cls, path: Path) -> ThemeModel:
        """Read a saved model. Raises ThemeModelError, saying what to do, for a missing, damaged or
        foreign file or one in another format version."""
        path = Path(path)
        def build(metadata: dict[str, Any], read: dict[str, Any]) -> ThemeModel:
            return cls(
                words=NGrams(metadata["word_features"], read["word_terms"].tolist(), read["word_idf"]),
                chars=NGrams(metadata["char_features"], read["char_terms"].tolist(), read["char_idf"]),
                coef=read["coef"], intercept=read["intercept"], slope=read["slope"],
                offset=read["offset"], threshold=read["threshold"], metadata=metadata)

        model = read_model(path, ARRAYS[1:], build, what="theme model", format_version=FORMAT_VERSION,
                           retrain=RETRAIN, error=ThemeModelError, kind=KIND)
        rows, width = len(model.labels), len(model._words.terms) + len(model._chars.terms)
        if model._coef.shape != (rows, width) or any(
                vector.shape != (rows,)
                for vector in (model._intercept, model._slope, model._offset, model._threshold)):
            raise ThemeModelError(f"{path} is damaged: its weights do not fit its vocabulary. {RETRAIN}")
        return model


def _targets(label_sets: Sequence[Collection[str]], column: Mapping[str, int]) -> np.ndarray:
    targets = np.zeros((len(label_sets), len(column)), dtype=bool)
    for row, labels in enumerate(label_sets):
        for label in labels:
            if label in column:
                targets[row, column[label]] = True
    return targets


def _features(texts: Sequence[str]) -> tuple[NGrams, NGrams, sparse.csr_matrix]:
    """Learn the vocabulary of ``texts`` (distinct texts, so a repeated "Very good" counts once
    towards a term's two-text minimum) and return it with their feature matrix."""
    distinct = list(dict.fromkeys(texts))
    try:
        words = NGrams.learn(WORD_FEATURES, distinct)
        chars = NGrams.learn(CHAR_FEATURES, distinct)
    except ValueError as exc:  # "After pruning, no terms remain"
        raise ThemeModelError("The examples share too few words to learn from; "
                              "label more comments.") from exc
    return words, chars, _matrix(words, chars, texts)


def _matrix(words: NGrams, chars: NGrams, texts: Sequence[str]) -> sparse.csr_matrix:
    return sparse.hstack([words.matrix(texts), chars.matrix(texts)]).tocsr()
