"""Reading framework-labelled comments, the fixed split, and the held-out figures the benchmark
prints. Synthetic files in the real files' layouts only."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.evaluation.metrics import LabelReport
from intake.evaluation.themes import (
    ThemeCase,
    evaluate_phase1,
    evaluate_themes,
    figures,
    read_framework,
    read_phase1,
    read_v6,
    theme_id,
)
from intake.taggers.theme_tuning import overlapping
from tests.intake.taggers.synthetic_themes import labelled, write_framework, write_phase1, write_v6

FOOD, STAFF = "food-and-drink", "staff-manner-and-personal-attributes"
TRANSPORT = "transport-to-from-services"


@pytest.fixture
def v6(tmp_path: Path) -> Path:
    return write_v6(tmp_path / "v6_dev.csv")


@pytest.mark.parametrize(("name", "expected"), [
    ("Food & drink provision & facilities", "food-and-drink-provision-and-facilities"),
    ("Transport to/ from services", "transport-to-from-services"),
    ("Safeguarding concerns?", "safeguarding-concerns"),
    ("Couldn't be improved", "couldnt-be-improved"),
    ("Out of hours support (community services)", "out-of-hours-support-community-services"),
])
def test_theme_ids_are_tag_values(name: str, expected: str) -> None:
    assert theme_id(name) == expected


def test_reads_comments_and_their_themes_by_id(v6: Path) -> None:
    corpus = read_v6(v6)
    assert corpus.names == {FOOD: "Food & drink", TRANSPORT: "Transport to/ from services",
                            STAFF: "Staff manner & personal attributes", "parking": "Parking"}
    first = corpus.cases[0]
    assert (first.case_id, first.labels) == ("SYN 1", frozenset({FOOD}))
    pair = next(case for case in corpus.cases if len(case.labels) == 2)
    assert pair.labels <= {FOOD, TRANSPORT, STAFF}


def test_leaves_out_rows_with_no_comment_and_keeps_comments_with_no_theme(v6: Path) -> None:
    corpus = read_v6(v6)
    rows = 2 * len(labelled())
    assert corpus.unlabellable == 4  # "Did not answer" and a blank, in each copy
    assert len(corpus.cases) == rows
    assert corpus.no_theme == sum(1 for case in corpus.cases if not case.labels) == 10
    assert all(case.text and case.text != "Did not answer" for case in corpus.cases)


def test_a_file_in_another_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,text\n1,hello\n", "utf-8")
    with pytest.raises(ValueError, match="not in the v6 format"):
        read_v6(path)


def test_the_split_is_fixed_by_comment_id() -> None:
    held = [n for n in range(1, 30) if ThemeCase(f"SYN {n}", "x", frozenset()).held_out]
    assert held[:3] == [9, 11, 23]


def test_reads_framework_descriptions_and_quoted_examples(tmp_path: Path, v6: Path) -> None:
    framework = read_framework(write_framework(tmp_path / "framework.csv"), read_v6(v6).names.values())
    assert framework.descriptions == {FOOD: "Anything about meals and drinks.", STAFF: "How staff behave."}
    assert framework.examples == (
        ("Lovely hot meals", FOOD), ("Great cup of tea", FOOD), ("The food was cold", FOOD),
        ("Kind and caring nurses", STAFF), ("Polite staff", STAFF))


def test_a_merged_v7_theme_describes_both_v6_themes_but_gives_no_examples(tmp_path: Path) -> None:
    path = tmp_path / "framework.csv"
    path.write_text("Category,Sub-category,Sub-category description,Examples\n"
                    "Staff,Staffing levels & responsiveness,Enough staff who come quickly.,"
                    "'Someone came quickly'\n", "utf-8")
    framework = read_framework(path, ["Number & deployment of staff", "Staff responsiveness"])
    assert framework.descriptions == {"number-and-deployment-of-staff": "Enough staff who come quickly.",
                                      "staff-responsiveness": "Enough staff who come quickly."}
    assert framework.examples == ()


def test_evaluates_on_the_held_out_fifth(v6: Path, tmp_path: Path) -> None:
    write_framework(tmp_path / "framework_v7_20230925.csv")  # found beside v6_dev.csv
    result = evaluate_themes(v6)
    corpus = read_v6(v6)
    testing = [case for case in corpus.cases if case.held_out]
    assert (result.n_train, result.n_test) == (len(corpus.cases) - len(testing), len(testing))
    assert result.labels == (FOOD, STAFF, TRANSPORT)
    assert result.not_learned == ("parking",)
    assert result.names[FOOD] == "Food & drink"
    assert set(result.per_label) <= set(result.labels)
    assert sum(f.support for f in result.per_label.values()) == sum(
        len(case.labels - {"parking"}) for case in testing)
    assert 0.8 <= result.macro_f1 <= 1.0 and 0.8 <= result.micro_f1 <= 1.0
    assert result.cross_validated_macro_f1 > 0.8
    assert result.texts_per_second > 0 and result.training_seconds > 0
    assert (result.unlabellable, result.no_theme) == (4, 10)
    # The framework's examples that repeat a held-out comment are left out of training.
    examples = read_framework(tmp_path / "framework_v7_20230925.csv", corpus.names.values()).examples
    repeated = overlapping([text for text, _ in examples], [case.text for case in testing])
    assert repeated and result.seeds == len(examples) - len(repeated)


def test_evaluates_without_the_framework_when_asked(v6: Path, tmp_path: Path) -> None:
    write_framework(tmp_path / "framework_v7_20230925.csv")
    assert evaluate_themes(v6, use_framework=False).seeds == 0


def test_per_label_figures_count_support() -> None:
    report = LabelReport()
    report.add({"a"}, {"a", "b"})
    report.add({"b"}, set())
    result = figures(report)
    assert (result["a"].f1, result["a"].support) == (1.0, 1)
    assert (result["b"].precision, result["b"].recall, result["b"].support) == (0.0, 0.0, 1)


def test_phase1_gives_each_comment_its_most_probable_category(tmp_path: Path) -> None:
    path = write_phase1(tmp_path / "phase1.csv")
    cases = read_phase1(path)
    assert {label for case in cases for label in case.labels} == {"Access", "Environment/ facilities",
                                                                  "Staff"}
    result = evaluate_phase1(path)
    assert result.labels == ("Access", "Environment/ facilities", "Staff")
    assert result.n_train + result.n_test == len(cases)
    assert result.n_test > 0
    assert 0.8 <= result.macro_f1 <= 1.0 and 0.8 <= result.accuracy <= 1.0
