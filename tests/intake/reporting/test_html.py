"""The report's HTML: cells as people read them, the chart drawn from a table, the body and the
whole document (title, time made, nonce for the stylesheet, escaping, records and empty tables)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from markupsafe import Markup

from intake.reporting.html import chart, render_body, render_document, show_cell, stylesheet
from intake.reporting.period import ReportPeriod
from intake.reporting.report import Report
from intake.reporting.tables import ChartSpec, Column, Table

PERIOD = ReportPeriod(date(2026, 9, 1), date(2026, 10, 31))
MADE = datetime(2026, 10, 2, 9, 30, tzinfo=UTC)


def report(*tables: Table) -> Report:
    return Report(PERIOD, "month", MADE, tables)


def ratings(rows: tuple[tuple[str, int], ...]) -> Table:
    return Table("ratings", "Tracker items by rating", (Column("Rating", "rating"), Column("Items", "count")),
                 rows, chart=ChartSpec("bar", colours={"Red": "#d5281b"}))


@pytest.mark.parametrize(("value", "kind", "shown"), [
    (None, "count", "–"),
    ("", "percent", "–"),
    (None, "text", ""),
    (None, "date", ""),
    (0, "count", "0"),                    # a real zero is not a missing figure
    (1234567, "count", "1,234,567"),
    (2.5, "count", "2.5"),
    (0.0, "percent", "0.0%"),
    (33.333, "percent", "33.3%"),
    (date(2026, 9, 7), "date", "7 Sep 2026"),
    (date(2026, 9, 7), "text", "7 Sep 2026"),
    (1200, "text", "1200"),               # only count columns get separators
    ("Amber", "rating", "Amber"),
    ("n/a", "count", "n/a"),
])
def test_show_cell(value: object, kind: str, shown: str) -> None:
    assert show_cell(value, Column("C", kind)) == shown  # type: ignore[arg-type]


def test_no_chart_without_a_spec_or_without_rows() -> None:
    plain = Table("t", "T", (Column("A"), Column("N", "count")), (("a", 1),))
    assert chart(plain) == Markup("")
    assert chart(ratings(())) == Markup("")


def test_a_bar_chart_is_labelled_svg_with_every_value_and_the_rating_colours() -> None:
    svg = str(chart(ratings((("Red", 2), ("Green", 5)))))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'aria-labelledby="chart-ratings-title chart-ratings-desc"' in svg
    assert '<title id="chart-ratings-title">Tracker items by rating</title>' in svg
    assert "Red: 2" in svg and "Green: 5" in svg
    assert 'fill="#d5281b"' in svg


def test_non_numeric_values_are_drawn_as_zero() -> None:
    table = Table("t", "T", (Column("A"), Column("N", "count")), (("a", None), ("b", 4)),
                  chart=ChartSpec("bar"))
    svg = str(chart(table))
    assert "a: 0" in svg and "b: 4" in svg


def test_a_line_chart_uses_its_point_labels_and_percent_columns() -> None:
    table = Table("weeks", "By week", (Column("From", "date"), Column("Share", "percent")),
                  ((date(2026, 9, 1), 12.5), (date(2026, 9, 7), 50.0)),
                  chart=ChartSpec("line"), point_labels=("1 Sep", "7 Sep"))
    svg = str(chart(table))
    assert 'id="chart-weeks-title"' in svg
    assert "1 Sep: 12.5%" in svg and "7 Sep: 50.0%" in svg
    assert "2026-09-01" not in svg


def test_the_label_column_names_the_points_without_point_labels() -> None:
    table = Table("t", "T", (Column("Month"), Column("N", "count")), (("Sep", 1), ("Oct", 2)),
                  chart=ChartSpec("line"))
    assert "Sep: 1" in str(chart(table))


def test_only_the_chosen_columns_become_series() -> None:
    table = Table("t", "T", (Column("A"), Column("Items", "count"), Column("People", "count")),
                  (("a", 3, 7),), chart=ChartSpec("bar", values=(2,)))
    svg = str(chart(table))
    assert "a: 7" in svg and "a: 3" not in svg


def test_the_document_has_the_title_period_and_the_time_made_in_uk_time() -> None:
    page = render_document(report(ratings((("Red", 1),))))
    title = "Patient and public feedback: assurance report: 1 September 2026 to 31 October 2026"
    assert f"<title>{title}</title>" in page
    assert "Made on 2 October 2026, 10:30. Counts by month" in page     # 09:30 UTC in summer time
    assert stylesheet().strip()[:20] in page


def test_a_style_nonce_goes_on_the_style_element_only_when_given() -> None:
    assert '<style nonce="abc123">' in render_document(report(), style_nonce="abc123")
    page = render_document(report())
    assert "<style>" in page and "nonce" not in page


def test_no_links_without_a_table_link() -> None:
    body = str(render_body(report(ratings((("Red", 1),)))))
    assert "href=" not in body and "Download" not in body


def test_an_empty_table_shows_its_own_message_and_no_grid() -> None:
    empty = Table("consultations", "Consultations", (Column("Consultation"),), (),
                  empty="No consultations ran in this period.", note="Status as of today.")
    body = str(render_body(report(empty)))
    assert '<p class="report-empty">No consultations ran in this period.</p>' in body
    assert '<p class="report-note">Status as of today.</p>' in body
    assert "<table" not in body


def test_records_show_the_first_cell_as_a_heading_and_skip_blank_cells_but_not_zero() -> None:
    table = Table("tracker", "Tracker", (Column("Item"), Column("Owner"), Column("Due", "date"),
                                         Column("Linked", "count")),
                  (("Phones at 8am", "", None, 0),), layout="records")
    body = str(render_body(report(table)))
    assert "<h3>Phones at 8am</h3>" in body
    assert re.findall(r"<dt>(.*?)</dt>", body) == ["Linked"]
    assert '<dd class="report-text">0</dd>' in body


def test_a_grid_heads_each_row_and_marks_numbers_and_dates() -> None:
    table = Table("t", "T", (Column("Service"), Column("Items", "count"), Column("Since", "date")),
                  (("GP", 1500, date(2026, 9, 2)),))
    body = str(render_body(report(table)))
    assert '<th scope="row">GP</th>' in body
    assert '<td class="report-number">1,500</td>' in body
    assert '<td class="report-date">2 Sep 2026</td>' in body
    assert '<th scope="col" class="report-number">Items</th>' in body


def test_staff_text_in_titles_notes_and_cells_is_escaped() -> None:
    table = Table("t", "<b>Title</b>", (Column("<i>Col</i>"),), (("<img src=x>",),), note="<em>note</em>")
    body = str(render_body(report(table)))
    assert "<b>" not in body and "<i>" not in body and "<img" not in body and "<em>" not in body
    assert "&lt;b&gt;Title&lt;/b&gt;" in body and "&lt;img src=x&gt;" in body


def test_rating_cells_carry_a_class_named_for_the_rating() -> None:
    table = Table("t", "T", (Column("Item"), Column("Rating", "rating")),
                  (("a", "Not rated yet"), ("b", None)))
    body = str(render_body(report(table)))
    assert 'class="report-rating report-rating--not-rated-yet">Not rated yet</span>' in body
    assert body.count("report-rating--") == 1
