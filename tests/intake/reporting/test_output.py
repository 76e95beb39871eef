"""The report as a printable page and as CSV files: every chart beside its table, staff text
escaped, spreadsheet-safe cells."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from html.parser import HTMLParser

from intake.reporting import Report, ReportPeriod, csv_bytes, tables_zip
from intake.reporting.html import render_body, render_document
from intake.reporting.tables import ChartSpec, Column, Table, table_csv
from tests.conftest import FIXED_NOW

PERIOD = ReportPeriod(date(2026, 9, 1), date(2026, 10, 31))


def sample() -> Report:
    services = Table("services", "Feedback by service",
                     (Column("Service"), Column("Items", "count"), Column("Share of items (%)", "percent")),
                     (("GP surgery", 1200, 60.0), ("A&E", 800, 40.0)), chart=ChartSpec("bar"),
                     note="An item can be about more than one service.")
    weeks = Table("over_time", "Feedback received by week",
                  (Column("From", "date"), Column("To", "date"), Column("Items", "count")),
                  ((date(2026, 9, 1), date(2026, 9, 6), 3), (date(2026, 9, 7), date(2026, 9, 13), 5)),
                  chart=ChartSpec("line", values=(2,)), point_labels=("1 Sep", "7 Sep"))
    tracker = Table("tracker", "Tracker items and next steps",
                    (Column("Tracker item"), Column("Rating at the end", "rating"), Column("Next steps")),
                    (("<script>alert(1)</script> phones", "Red", "=HYPERLINK(\"http://x\")\nthen call"),),
                    layout="records")
    empty = Table("consultations", "Consultations", (Column("Consultation"),), (),
                  empty="No consultations ran in this period.")
    return Report(PERIOD, "week", FIXED_NOW, (services, weeks, tracker, empty))


class Sections(HTMLParser):
    """For each <section id=...>: how many svg and table elements it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, int]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.current = dict(attrs)["id"]
            self.sections[self.current] = {"svg": 0, "table": 0}
        elif self.current and tag in ("svg", "table"):
            self.sections[self.current][tag] += 1


def test_every_chart_is_printed_beside_its_table() -> None:
    parser = Sections()
    parser.feed(render_document(sample()))
    assert parser.sections == {"services": {"svg": 1, "table": 1},
                               "over_time": {"svg": 1, "table": 1},
                               "tracker": {"svg": 0, "table": 0},
                               "consultations": {"svg": 0, "table": 0}}


def test_the_page_is_a_whole_a4_document_with_numbers_and_dates_for_people() -> None:
    page = render_document(sample())
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in page
    assert "size: A4" in page
    assert "1 September 2026 to 31 October 2026" in page
    assert "1,200" in page and "60.0%" in page and "1 Sep 2026" in page
    assert "No consultations ran in this period." in page
    assert 'class="report-rating report-rating--red">Red<' in page


def test_text_typed_by_staff_is_escaped() -> None:
    page = render_document(sample())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; phones" in page


def test_the_workspace_body_links_each_table_to_its_csv_file() -> None:
    body = str(render_body(sample(), lambda name: f"/staff/reports/tables/{name}.csv?from=x&to=y"))
    links = re.findall(r'href="([^"]+)"', body)
    assert links == [f"/staff/reports/tables/{name}.csv?from=x&amp;to=y"
                     for name in ("services", "over_time", "tracker", "consultations")]
    assert "<h1" not in body                       # the page around it has the heading
    assert "report-no-print" in body               # links are not printed


def test_csv_files_keep_plain_numbers_and_iso_dates_and_neutralise_formulas() -> None:
    built = sample()
    services = list(csv.reader(io.StringIO(table_csv(built.table("services")))))
    assert services == [["Service", "Items", "Share of items (%)"], ["GP surgery", "1200", "60.0"],
                        ["A&E", "800", "40.0"]]
    weeks = list(csv.reader(io.StringIO(table_csv(built.table("over_time")))))
    assert weeks[1] == ["2026-09-01", "2026-09-06", "3"]
    tracker = list(csv.reader(io.StringIO(table_csv(built.table("tracker")))))
    assert tracker[1][2].startswith("'=HYPERLINK")
    assert csv_bytes(built.table("services")).startswith(b"\xef\xbb\xbfService,")   # Excel's BOM


def test_the_zip_has_one_csv_per_table_in_a_folder_named_for_the_period() -> None:
    built = sample()
    archive = zipfile.ZipFile(io.BytesIO(tables_zip(built.tables, f"report-{PERIOD.slug}")))
    assert archive.namelist() == [f"report-2026-09-01-to-2026-10-31/{name}.csv"
                                  for name in ("services", "over_time", "tracker", "consultations")]
    empty = archive.read("report-2026-09-01-to-2026-10-31/consultations.csv").decode("utf-8-sig")
    assert empty == "Consultation\r\n"
