"""The learned service tagger: a linear model over word and character n-grams, trained from the
services staff confirmed on earlier feedback (``intake train services``).

It stands behind explicit answers and taxonomy keywords, and it abstains rather than guess: when
its top probability is below ``min_confidence`` it says nothing and the item waits for a person.

Why it is built this way:

- Word 1–2-grams catch phrases ("repeat prescription"); character 3–5-grams inside words catch
  misspellings and the inflections of Polish or Urdu without a stemmer for each language.
- Logistic regression gives a probability per service, so one threshold sets the precision; it
  is small, fast, and deterministic (lbfgs, fixed ``random_state``). Classes are weighted as if
  equally common, so a service's base rate alone never carries a text over the bar: the words
  must. (Otherwise, with most examples about GPs, "Thank you" would come out as GP.)
- Only services with ``min_examples_per_service`` examples are learned. The examples of the
  others (and of services never inferred, such as "other") are kept as one "not learned" class:
  they teach the model what a text about none of the learned services looks like, so it abstains
  instead of forcing one of them.
- A term enters the vocabulary only if it occurs in two different texts, so a one-off name or
  phone number in someone's feedback never reaches the model file.
- The file holds vocabulary and numbers only (NumPy arrays, read with ``allow_pickle=False``):
  loading a model never runs code, and a later scikit-learn reads an earlier file. Predicting
  uses scikit-learn's text analyzer only; the TF-IDF weights and the linear layer are applied
  here with NumPy, and every training checks the result against ``predict_proba``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from intake.config.schema import ServiceModelSettings
from intake.taggers.model_file import read_model, write_arrays

FORMAT_VERSION = 1
TAGGER = f"service-model@{FORMAT_VERSION}"
# The class of examples whose service is not learned. Never predicted; not a valid service id.
NOT_LEARNED = "(not learned)"
RANDOM_STATE = 0
# Inverse regularisation strength: 10 fits short texts closely enough for confident
# probabilities on clear cases. `intake train services` cross-validates it on the district's data.
REGULARISATION = 10.0
EVIDENCE_WORDS = 3
WORD_FEATURES: dict[str, Any] = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2,
                                 "max_features": 50_000, "sublinear_tf": True}
CHAR_FEATURES: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 2,
                                 "max_features": 100_000, "sublinear_tf": True}
ARRAYS = ("metadata", "word_terms", "word_idf", "char_terms", "char_idf", "coef", "intercept",
          "classes")


class ServiceModelError(Exception):
    """The model cannot be trained or read. The message says what to do next."""


class ModelFileError(ServiceModelError):
    """A model file is missing, unreadable, or in a format this version does not read."""


class NotEnoughData(ServiceModelError):
    """Too few confirmed examples to learn from. ``counts`` are the examples per service and
    ``needed`` is at least how many more would be enough."""

    def __init__(self, counts: Mapping[str, int], needed: int, reasons: Sequence[str]) -> None:
        self.counts = dict(counts)
        self.needed = needed
        listed = ", ".join(f"{service} {count}" for service, count in
                           sorted(counts.items(), key=lambda item: (-item[1], item[0]))) or "none"
        super().__init__(
            f"Not enough staff-confirmed examples to train the service model: at least {needed} "
            f"more are needed. {' '.join(reasons)} Examples per service: {listed}. Confirm the "
            "service on more items in the staff workspace, then train again.")


@dataclass(frozen=True)
class ServicePrediction:
    """The model's service for a text, with its probability and, for staff, the known words that
    weighed most for it."""

    service: str
    probability: float
    words: tuple[str, ...] = ()


def learnable_services(counts: Mapping[str, int], settings: ServiceModelSettings,
                       never_predict: Collection[str] = ()) -> tuple[str, ...]:
    """The services a model trained on these counts would learn. Raises NotEnoughData when the
    examples are too few in all, or do not give two classes to tell apart."""
    per = settings.min_examples_per_service
    total = sum(counts.values())
    candidates = sorted((count for service, count in counts.items() if service not in never_predict),
                        reverse=True)
    learned = tuple(sorted(service for service, count in counts.items()
                           if count >= per and service not in never_predict))
    reasons, needed = [], 0
    if total < settings.min_examples:
        reasons.append(f"There are {total} in all, and training needs {settings.min_examples}.")
        needed = settings.min_examples - total
    first, second = [*candidates, 0, 0][:2]
    rest = total - first
    # Two classes to tell apart: two services with enough examples each, or one service and as
    # many examples of other services together.
    short = min(max(0, per - first) + max(0, per - second), max(0, per - first) + max(0, per - rest))
    if short:
        reasons.append(f"At least one service needs {per} examples, and the model needs as many "
                       "again of other services to tell it apart from.")
        needed = max(needed, short)
    if reasons:
        raise NotEnoughData(counts, needed, reasons)
    return learned


class NGrams:
    """One family of features, word or character n-grams, exactly as TF-IDF weighs them: found by
    scikit-learn's analyzer, counted, 1 + log(count) times idf, scaled to unit length. Done here
    rather than by the fitted vectorizer because the vectorizer's per-call checks cost
    milliseconds, and one message at a time is how the pipeline asks."""

    def __init__(self, params: Mapping[str, Any], terms: Sequence[str], idf: np.ndarray) -> None:
        self.params = dict(params)
        self.terms = tuple(str(term) for term in terms)
        self.idf = np.asarray(idf, dtype=float)
        self.index = {term: i for i, term in enumerate(self.terms)}
        if len(self.index) != len(self.terms) or self.idf.shape != (len(self.terms),):
            raise ValueError("the vocabulary and its idf weights do not match")
        self._analyze = TfidfVectorizer(**_options(params)).build_analyzer()

    @classmethod
    def learn(cls, params: Mapping[str, Any], texts: Sequence[str]) -> NGrams:
        vectorizer = TfidfVectorizer(**_options(params)).fit(texts)
        return cls(params, vectorizer.get_feature_names_out().tolist(), vectorizer.idf_)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's known n-grams: (their indices, their weights)."""
        counts = Counter(gram for gram in self._analyze(text) if gram in self.index)
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        index = np.fromiter((self.index[gram] for gram in counts), dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=float, count=len(counts))
        if self.params.get("sublinear_tf"):
            values = 1.0 + np.log(values)
        values *= self.idf[index]
        return index, values / np.linalg.norm(values)

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        vectors = [self.vector(text) for text in texts]
        pointers = np.cumsum([0, *(len(index) for index, _ in vectors)])
        values = [values for _, values in vectors] or [np.zeros(0)]
        indices = [index for index, _ in vectors] or [np.zeros(0, dtype=np.intp)]
        return sparse.csr_matrix((np.concatenate(values), np.concatenate(indices), pointers),
                                 shape=(len(texts), len(self.terms)))


class ServiceModel:
    """A trained service model: ``predict`` a text's service, or None to abstain.

    What it was trained on: ``services`` (the services it can predict), ``example_counts``
    (examples per label given, learned or not), ``examples``, ``trained_at``, ``sklearn_version``.
    """

    def __init__(self, *, words: NGrams, chars: NGrams, coef: np.ndarray, intercept: np.ndarray,
                 classes: Sequence[str], metadata: Mapping[str, Any], min_confidence: float) -> None:
        self._words, self._chars = words, chars
        self._coef, self._intercept = coef, intercept
        self.classes = tuple(classes)
        self.metadata = dict(metadata)
        self.min_confidence = min_confidence
        self.services: tuple[str, ...] = tuple(metadata["services"])
        self.example_counts: dict[str, int] = dict(metadata["example_counts"])
        self.examples: int = int(metadata["examples"])
        self.trained_at = datetime.fromisoformat(metadata["trained_at"])
        self.sklearn_version: str = metadata["sklearn_version"]
        self.format_version: int = metadata["format_version"]
        self.tagger = TAGGER

    # -- training ----------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str],
              settings: ServiceModelSettings | None = None, *, never_predict: Collection[str] = (),
              now: datetime | None = None) -> ServiceModel:
        """Learn from texts and their confirmed services (one text may appear once per service).

        Labels in ``never_predict`` and services with too few examples join the "not learned"
        class. Raises NotEnoughData (with the counts) when there is too little to learn from.
        """
        settings = settings or ServiceModelSettings()
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        counts = Counter(labels)
        learned = learnable_services(counts, settings, never_predict)
        targets = [label if label in learned else NOT_LEARNED for label in labels]
        return cls.fit(texts, targets, settings, counts=counts, services=learned,
                       never_predict=never_predict, now=now)

    @classmethod
    def fit(cls, texts: Sequence[str], targets: Sequence[str], settings: ServiceModelSettings, *,
            counts: Mapping[str, int], services: Sequence[str], never_predict: Collection[str] = (),
            now: datetime | None = None) -> ServiceModel:
        """Fit on targets already mapped to learned services or NOT_LEARNED, with no checks on
        the amount of data (cross-validation uses this for each fold)."""
        if len(set(targets)) < 2:
            raise ServiceModelError("The examples are all of one kind; the model needs at least "
                                    "two services (or one and some others) to tell apart.")
        # The vocabulary is counted over distinct texts, so a text confirmed for two services does
        # not count twice towards a term's "seen in two texts".
        distinct = list(dict.fromkeys(texts))
        try:
            words = NGrams.learn(WORD_FEATURES, distinct)
            chars = NGrams.learn(CHAR_FEATURES, distinct)
        except ValueError as exc:  # "After pruning, no terms remain"
            raise ServiceModelError(
                "The examples share too few words to learn from; confirm more items.") from exc
        features = sparse.hstack([words.matrix(texts), chars.matrix(texts)]).tocsr()
        classifier = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000,
                                        random_state=RANDOM_STATE)
        classifier.fit(features, list(targets))
        metadata = {
            "format_version": FORMAT_VERSION,
            "trained_at": (now or datetime.now(UTC)).isoformat(),
            "sklearn_version": sklearn.__version__,
            "examples": len(texts),
            "example_counts": dict(sorted(counts.items())),
            "services": list(services),
            "never_predict": sorted(never_predict),
            "settings": settings.model_dump(),
            "word_features": WORD_FEATURES,
            "char_features": CHAR_FEATURES,
            "regularisation": REGULARISATION,
        }
        model = cls(words=words, chars=chars, coef=classifier.coef_,
                    intercept=classifier.intercept_, classes=[str(c) for c in classifier.classes_],
                    metadata=metadata, min_confidence=settings.min_confidence)
        # Predictions apply the weights with NumPy (so a saved file needs no pickled classifier):
        # check once that they agree with scikit-learn's own, in case its formula ever changes.
        sample = list(texts[:20])
        if not np.allclose(model.probabilities(sample), classifier.predict_proba(features[:20])):
            raise ServiceModelError(
                f"scikit-learn {sklearn.__version__} computes probabilities differently from this "
                "version of Involve Intake. Install the scikit-learn version the current model "
                "was trained with (`intake train services` reports it in the audit log).")
        return model

    # -- predicting --------------------------------------------------------------------------
    def _scores(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The linear scores of one text, with its known words (indices, weights) for evidence."""
        word_index, word_values = self._words.vector(text)
        char_index, char_values = self._chars.vector(text)
        scores = (self._coef[:, word_index] @ word_values
                  + self._coef[:, len(self._words.terms) + char_index] @ char_values
                  + self._intercept)
        return scores, word_index, word_values

    def _probabilities(self, scores: np.ndarray) -> np.ndarray:
        if len(self.classes) == 2:  # one row of weights: the second class against the first
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, one column per class in ``classes`` (NOT_LEARNED included)."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        return self._probabilities(np.vstack([self._scores(text)[0] for text in texts]))

    def predict(self, text: str) -> ServicePrediction | None:
        """The text's service, or None (abstain) when the model is not sure enough."""
        scores, word_index, word_values = self._scores(text)
        # A text with no word the model knows gives it nothing to go on but its priors.
        if not len(word_index):
            return None
        row = self._probabilities(scores[np.newaxis, :])[0]
        best = int(np.argmax(row))
        if self.classes[best] == NOT_LEARNED or row[best] < self.min_confidence:
            return None
        return ServicePrediction(self.classes[best], float(row[best]),
                                 self._weightiest_words(word_index, word_values, best))

    def predict_many(self, texts: Sequence[str]) -> list[ServicePrediction | None]:
        return [self.predict(text) for text in texts]

    def _weightiest_words(self, index: np.ndarray, values: np.ndarray, best: int) -> tuple[str, ...]:
        if len(self.classes) == 2:
            weights = self._coef[0, index] * (1 if best == 1 else -1)
        else:
            weights = self._coef[best, index]
        contributions = values * weights
        order = np.argsort(-contributions, kind="stable")[:EVIDENCE_WORDS]
        return tuple(self._words.terms[index[i]] for i in order if contributions[i] > 0)

    # -- the file ----------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the model (owner-only: it is derived from restricted text). The file is replaced
        in one step, so a running service never reads half a model."""
        arrays = {
            "metadata": np.array(json.dumps(self.metadata)),
            "word_terms": np.array(self._words.terms, dtype=str),
            "word_idf": self._words.idf,
            "char_terms": np.array(self._chars.terms, dtype=str),
            "char_idf": self._chars.idf,
            "coef": self._coef,
            "intercept": self._intercept,
            "classes": np.array(self.classes, dtype=str),
        }
        write_arrays(path, arrays)

    @classmethod
    def load(cls, path: Path, settings: ServiceModelSettings | None = None) -> ServiceModel:
        """Read a saved model. ``settings`` (the current configuration) sets the confidence bar,
        so it can be raised without training again. Raises ModelFileError with a clear message."""
        path = Path(path)
        retrain = "Run `intake train services` to train it again."
        def build(metadata: dict[str, Any], read: dict[str, Any]) -> ServiceModel:
            return cls(
                words=NGrams(metadata["word_features"], read["word_terms"].tolist(), read["word_idf"]),
                chars=NGrams(metadata["char_features"], read["char_terms"].tolist(), read["char_idf"]),
                coef=read["coef"], intercept=read["intercept"],
                classes=[str(c) for c in read["classes"]], metadata=metadata,
                min_confidence=(settings.min_confidence if settings is not None
                                else metadata["settings"]["min_confidence"]))

        model = read_model(path, ARRAYS[1:], build, what="service model",
                           format_version=FORMAT_VERSION, retrain=retrain, error=ModelFileError)
        rows = 1 if len(model.classes) == 2 else len(model.classes)
        width = len(model._words.terms) + len(model._chars.terms)
        if model._coef.shape != (rows, width) or model._intercept.shape != (rows,):
            raise ModelFileError(f"{path} is damaged: its weights do not fit its vocabulary. {retrain}")
        return model


def _options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Vectorizer options from stored parameters (JSON turns the n-gram range into a list)."""
    return {**params, "ngram_range": tuple(params["ngram_range"])}
