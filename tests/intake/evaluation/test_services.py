"""Reading the trusts' service-type labels, the fixed held-out split, and precision, coverage and
recall of a tagger that may abstain. Tiny synthetic files in the real file's layout only."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from intake.config import Config
from intake.evaluation.metrics import Tally
from intake.evaluation.services import SERVICE_TYPES, ServiceCase, ServiceResult, measure, read_cases

HEADER = ["Comment ID", "Trust", "FFT answer", "Service type 1", "Service type 2"]


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def case(number: int, service: str, text: str = "Comment") -> ServiceCase:
    return ServiceCase(f"SYN {number}", text, service)


def test_every_trust_service_type_maps_to_a_configured_service(config: Config) -> None:
    assert set(SERVICE_TYPES.values()) <= config.service_ids


def test_comments_with_text_and_a_known_service_type_are_read_in_order(tmp_path: Path) -> None:
    path = write(tmp_path / "v6_dev.csv", [
        ["SYN 1", "Trust A", "  The crew were kind  ", "See and Convey", ""],
        ["SYN 2", "Trust A", "Got through quickly", "111", "Forensic"],
        ["SYN 3", "Trust B", "Driver was late", "PTS - Patient Transport", ""],
        ["SYN 4", "Trust B", "Lovely nurse, dziękuję", "Community health services", ""],
    ])
    assert read_cases(path) == [
        ServiceCase("SYN 1", "The crew were kind", "ambulance"),
        ServiceCase("SYN 2", "Got through quickly", "nhs-111"),       # only the first type counts
        ServiceCase("SYN 3", "Driver was late", "patient-transport"),
        ServiceCase("SYN 4", "Lovely nurse, dziękuję", "community-health"),
    ]


@pytest.mark.parametrize("written", [
    "PTS\xa0 - Patient Transport",       # as the trust's export spells it
    "PTS - Patient Transport\xa0",
    " PTS - Patient Transport ",
    "\xa0111",
])
def test_service_types_with_stray_spaces_are_still_recognised(tmp_path: Path, written: str) -> None:
    [found] = read_cases(write(tmp_path / "v6.csv", [["SYN 1", "T", "Fine", written, ""]]))
    assert found.service == ("nhs-111" if "111" in written else "patient-transport")


@pytest.mark.parametrize(("text", "service_type"), [
    ("", "111"),
    ("   ", "111"),
    ("Fine", ""),
    ("Fine", "Acute inpatients"),        # a type outside the district's taxonomy
    ("Fine", "ambulance"),               # our ids are not the trusts' names
])
def test_rows_without_text_or_a_known_service_type_are_left_out(tmp_path: Path, text: str,
                                                                service_type: str) -> None:
    assert read_cases(write(tmp_path / "v6.csv", [["SYN 1", "T", text, service_type, ""]])) == []


def test_a_file_without_the_service_column_gives_no_cases(tmp_path: Path) -> None:
    path = write(tmp_path / "v6.csv", [["SYN 1", "Fine"]], header=["Comment ID", "FFT answer"])
    assert read_cases(path) == []


def test_a_header_only_file_gives_no_cases(tmp_path: Path) -> None:
    assert read_cases(write(tmp_path / "v6.csv", [])) == []


def test_the_split_depends_only_on_the_comment_id() -> None:
    assert ServiceCase("SYN 9", "a", "gp").held_out == ServiceCase("SYN 9", "b", "dental").held_out


def test_the_split_is_fixed_so_figures_can_be_compared_between_runs() -> None:
    held = [number for number in range(1, 21) if case(number, "gp").held_out]
    assert held == [9, 11]


def test_about_a_fifth_of_comments_are_held_out() -> None:
    share = sum(ServiceCase(f"C{n}", "t", "gp").held_out for n in range(2000)) / 2000
    assert 0.17 < share < 0.23


def test_an_empty_result_reports_zeros_not_errors() -> None:
    result = ServiceResult("nothing")
    assert (result.precision, result.coverage, result.recall, result.texts_per_second) == (0.0, 0.0, 0.0, 0.0)


def test_precision_is_over_tagged_cases_and_coverage_and_recall_over_all() -> None:
    result = ServiceResult("keywords", tagged=Tally(right=3, total=4), cases=10, seconds=2.0)
    assert result.precision == 0.75
    assert result.coverage == 0.4
    assert result.recall == 0.3
    assert result.texts_per_second == 5.0


def test_measure_counts_abstentions_against_coverage_not_precision() -> None:
    cases = [case(1, "ambulance", "crew"), case(2, "nhs-111", "phone"), case(3, "ambulance", "nothing"),
             case(4, "mental-health", "ward")]
    answers = {"crew": "ambulance", "phone": "ambulance", "nothing": None, "ward": "mental-health"}

    result = measure("rules", answers.__getitem__, cases)

    assert (result.name, result.cases) == ("rules", 4)
    assert (result.tagged.right, result.tagged.total) == (2, 3)
    assert result.precision == pytest.approx(2 / 3)
    assert result.coverage == 0.75
    assert result.recall == 0.5
    # By the service the tagger answered, so each line is that answer's precision.
    assert {name: (t.right, t.total) for name, t in result.by_service.items()} == {
        "ambulance": (1, 2), "mental-health": (1, 1)}


def test_measure_asks_the_tagger_once_per_case_in_order() -> None:
    seen: list[str] = []

    def tag(text: str) -> str | None:
        seen.append(text)
        return None

    result = measure("silent", tag, [case(1, "gp", "first"), case(2, "gp", "second")])
    assert seen == ["first", "second"]
    assert (result.tagged.total, result.coverage, result.by_service) == (0, 0.0, {})


def test_measuring_no_cases_gives_an_empty_result() -> None:
    result = measure("any", lambda text: "gp", [])
    assert (result.cases, result.tagged.total, result.precision, result.coverage) == (0, 0, 0.0, 0.0)
