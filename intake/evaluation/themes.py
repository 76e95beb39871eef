"""Theme tagging measured on real Friends and Family Test comments labelled with the NHS
patient-experience framework (``feedback_themes/`` beside the project; never copied into it).

``v6_dev.csv`` has one 0/1 column per framework v6 theme after ``Comment sentiment``. Two of those
columns are outcomes rather than themes, and are handled as such:

- "Labelling not possible" marks rows with no comment at all (blank, or the survey's "Did not
  answer"). They are not feedback anyone wrote, so they are left out and only counted.
- "Not assigned" marks comments that were read but are about no theme ("Nothing", "Don't know").
  They stay in with an empty set of themes: saying nothing is the right answer for them, and a
  theme given to one counts as a false positive.

Themes are tagged by id (``theme_id``: "Food & drink provision & facilities" becomes
``food-and-drink-provision-and-facilities``), as tag values and the API's filters are; the model
keeps each id's framework name and description for people.

The split is fixed: a comment is held out when the sha256 of its ``Comment ID`` is 0 modulo 5
(the same rows the service benchmark holds out). Everything is tuned on the other four-fifths by
cross-validation inside them; the held-out fifth is only ever scored. The framework v7 file's
quoted examples are added to training, less any that repeat a held-out comment (some are quoted
from the same surveys).
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from intake.evaluation.metrics import LabelReport
from intake.taggers.theme_tuning import overlapping
from intake.taggers.themes import ThemeModel, ThemeSettings

LAST_METADATA_COLUMN = "Comment sentiment"
UNLABELLABLE = "Labelling not possible"
NO_THEME = "Not assigned"
FRAMEWORK_FILE = "framework_v7_20230925.csv"
# v7 sub-categories that are a v6 theme under another name, or merge several v6 themes. Examples
# are used only where the v7 sub-category is exactly one v6 theme; descriptions serve all.
V7_TO_V6: dict[str, tuple[str, ...]] = {
    "Environment, facilities & equipment": ("Environment & Facilities",),
    "Continuity of care": ("Referals & continuity of care",),
    "Staffing levels & responsiveness": ("Number & deployment of staff", "Staff responsiveness"),
}
# A quoted example in the framework's "Examples" column: 'text' or ‘text’, ending the item.
QUOTED = re.compile(r"[‘'](.+?)[’'](?=\s*[,.]|\s*$)", re.MULTILINE)


def theme_id(name: str) -> str:
    """A tag value for a framework theme name: lower case, "and" for "&", hyphens between words."""
    words = name.casefold().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return "-".join("".join(c if c.isalnum() else " " for c in words).split())


@dataclass(frozen=True)
class ThemeCase:
    case_id: str
    text: str
    labels: frozenset[str]

    @property
    def held_out(self) -> bool:
        return int(hashlib.sha256(self.case_id.encode()).hexdigest(), 16) % 5 == 0


@dataclass(frozen=True)
class ThemeCorpus:
    """The usable comments (themes by id), every theme column's name by id, and how many rows
    were left out or kept with no theme."""

    cases: tuple[ThemeCase, ...]
    names: dict[str, str]
    unlabellable: int
    no_theme: int


@dataclass(frozen=True)
class Framework:
    """Theme descriptions and quoted example comments (text, theme id) from framework v7."""

    descriptions: dict[str, str]
    examples: tuple[tuple[str, str], ...]


def read_v6(path: Path) -> ThemeCorpus:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        if LAST_METADATA_COLUMN not in header or "FFT answer" not in header:
            raise ValueError(f"{path} is not in the v6 format: it needs 'FFT answer' and "
                             f"'{LAST_METADATA_COLUMN}' columns, then one column per theme.")
        columns = tuple(header[header.index(LAST_METADATA_COLUMN) + 1:])
        names = {theme_id(column): column for column in columns}
        if len(names) != len(columns):
            raise ValueError(f"{path} has theme columns whose names differ only in punctuation.")
        cases, unlabellable, no_theme = [], 0, 0
        for row in reader:
            text = (row.get("FFT answer") or "").strip()
            marked = {column for column in columns if (row.get(column) or "").strip() not in ("", "0")}
            themes = frozenset(theme_id(column) for column in marked - {UNLABELLABLE, NO_THEME})
            if not text or (UNLABELLABLE in marked and not themes):
                unlabellable += 1
                continue
            no_theme += not themes
            cases.append(ThemeCase(row["Comment ID"], text, themes))
    themes = {key: name for key, name in names.items() if name not in (UNLABELLABLE, NO_THEME)}
    return ThemeCorpus(tuple(cases), themes, unlabellable, no_theme)


def read_phase1(path: Path) -> list[ThemeCase]:
    """Phase-1 comments with their one major category (``label``), keyed by ``row_index``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [ThemeCase(row["row_index"], text, frozenset({row["label"].strip()}))
                for row in csv.DictReader(handle)
                if (text := (row.get("feedback") or "").strip()) and (row.get("label") or "").strip()]


def read_framework(path: Path, themes: Collection[str]) -> Framework:
    """Descriptions and quoted examples of the v6 ``themes`` (names) that framework v7 also has,
    by theme id."""
    descriptions: dict[str, str] = {}
    examples: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Sub-category"].strip()
            targets = [t for t in V7_TO_V6.get(name, (name,)) if t in themes]
            description = " ".join((row.get("Sub-category description") or "").split())
            for theme in targets:
                if description:
                    descriptions[theme_id(theme)] = description
            if len(targets) == 1:
                examples.extend((quote.strip(), theme_id(targets[0]))
                                for quote in QUOTED.findall(row.get("Examples") or "") if quote.strip())
    return Framework(descriptions, tuple(examples))


def framework_beside(v6_path: Path) -> Path | None:
    candidate = v6_path.parent / FRAMEWORK_FILE
    return candidate if candidate.is_file() else None


def train(cases: Sequence[ThemeCase], framework: Framework | None,
          settings: ThemeSettings | None = None, *, names: Mapping[str, str] | None = None,
          held_out: Sequence[str] = ()) -> ThemeModel:
    """A theme model from these cases and the framework's examples, less any example that repeats
    one of the ``held_out`` texts."""
    seeds: Sequence[tuple[str, str]] = ()
    if framework is not None:
        repeated = overlapping([text for text, _ in framework.examples], held_out)
        seeds = [seed for i, seed in enumerate(framework.examples) if i not in repeated]
    return ThemeModel.train([c.text for c in cases], [c.labels for c in cases], settings, seeds=seeds,
                            names=names, descriptions=framework.descriptions if framework else None)


@dataclass(frozen=True)
class LabelFigures:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ThemeEvaluation:
    """Held-out figures for the learned themes. Truth is limited to the themes the model learned
    (``unlearned_in_test`` counts the held-out theme labels it could not have given)."""

    macro_f1: float
    micro_f1: float
    micro_precision: float
    micro_recall: float
    exact_match: float
    per_label: dict[str, LabelFigures]
    labels: tuple[str, ...]
    names: dict[str, str]
    not_learned: tuple[str, ...]
    n_train: int
    n_test: int
    unlearned_in_test: int
    unlabellable: int
    no_theme: int
    seeds: int
    regularisation: float
    cross_validated_macro_f1: float
    training_seconds: float
    texts_per_second: float


def evaluate_themes(v6_path: Path, framework_path: Path | None = None, *, use_framework: bool = True,
                    settings: ThemeSettings | None = None) -> ThemeEvaluation:
    """Train on the fixed four-fifths of ``v6_dev.csv`` and score the held-out fifth. The framework
    file is read from ``framework_path``, else from beside ``v6_path`` when it is there."""
    corpus = read_v6(v6_path)
    framework_path = framework_path or framework_beside(v6_path)
    framework = None
    if use_framework and framework_path is not None:
        framework = read_framework(framework_path, corpus.names.values())
    return evaluate(corpus, framework, settings)


def evaluate(corpus: ThemeCorpus, framework: Framework | None,
             settings: ThemeSettings | None = None) -> ThemeEvaluation:
    training = [case for case in corpus.cases if not case.held_out]
    testing = [case for case in corpus.cases if case.held_out]
    started = time.perf_counter()
    model = train(training, framework, settings, names=corpus.names,
                  held_out=[case.text for case in testing])
    training_seconds = time.perf_counter() - started
    report, seconds = measure(model, testing)
    learned = set(model.labels)
    chosen = model.metadata["regularisation"]
    return ThemeEvaluation(
        macro_f1=report.macro_f1, micro_f1=report.overall.f1,
        micro_precision=report.overall.precision, micro_recall=report.overall.recall,
        exact_match=report.exact.accuracy, per_label=figures(report),
        labels=model.labels, names=corpus.names, not_learned=tuple(model.metadata["not_learned"]),
        n_train=len(training), n_test=len(testing),
        unlearned_in_test=sum(len(case.labels - learned) for case in testing),
        unlabellable=corpus.unlabellable, no_theme=corpus.no_theme, seeds=model.metadata["seeds"],
        regularisation=chosen,
        cross_validated_macro_f1=model.metadata["cross_validated_macro_f1"][str(chosen)],
        training_seconds=training_seconds,
        texts_per_second=len(testing) / seconds if seconds else 0.0,
    )


def measure(model: ThemeModel, cases: Sequence[ThemeCase]) -> tuple[LabelReport, float]:
    """The model's themes against the truth (limited to its labels), one text at a time as the
    pipeline asks, and the seconds it took."""
    learned = set(model.labels)
    started = time.perf_counter()
    answers = [model.predict(case.text) for case in cases]
    seconds = time.perf_counter() - started
    report = LabelReport()
    for case, answer in zip(cases, answers, strict=True):
        report.add({p.label for p in answer}, set(case.labels & learned))
    return report, seconds


def figures(report: LabelReport) -> dict[str, LabelFigures]:
    return {label: LabelFigures(c.precision, c.recall, c.f1, c.true_positive + c.false_negative)
            for label, c in sorted(report.labels.items())}


@dataclass(frozen=True)
class Phase1Evaluation:
    """Held-out figures for the nine phase-1 major categories, one per comment (the most probable
    category is always given, as the labels do)."""

    macro_f1: float
    accuracy: float
    per_label: dict[str, LabelFigures]
    labels: tuple[str, ...]
    n_train: int
    n_test: int
    training_seconds: float
    texts_per_second: float


def evaluate_phase1(path: Path, settings: ThemeSettings | None = None) -> Phase1Evaluation:
    """Train on the fixed four-fifths of the phase-1 comments (split by ``row_index``) and score
    the held-out fifth by macro F1 over the categories."""
    cases = read_phase1(path)
    training = [case for case in cases if not case.held_out]
    testing = [case for case in cases if case.held_out]
    started = time.perf_counter()
    model = train(training, None, settings)
    training_seconds = time.perf_counter() - started
    started = time.perf_counter()
    probabilities = model.probabilities([case.text for case in testing])
    seconds = time.perf_counter() - started
    report = LabelReport()
    for case, row in zip(testing, probabilities, strict=True):
        report.add({model.labels[int(row.argmax())]}, set(case.labels))
    return Phase1Evaluation(
        macro_f1=report.macro_f1, accuracy=report.exact.accuracy, per_label=figures(report),
        labels=model.labels, n_train=len(training), n_test=len(testing),
        training_seconds=training_seconds, texts_per_second=len(testing) / seconds if seconds else 0.0)
