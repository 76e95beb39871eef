"""The report as HTML: a standalone A4 document (the CLI writes it; the workspace serves it for
printing) and the same body for the workspace page.

Jinja is used directly, not through Flask, so ``intake report`` needs no web app. Autoescaping is
on: tracker texts and consultation titles are typed by staff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from intake.reporting.charts import Series, bar_chart, line_chart, show_value
from intake.reporting.report import Report
from intake.reporting.tables import Cell, Column, Table
from intake.staff.dates import show_moment

TableLink = Callable[[str], str]


def show_cell(value: Cell, column: Column) -> str:
    """A cell as the page prints it; CSV files keep plain numbers and ISO dates."""
    if value is None or value == "":
        return "–" if column.kind in ("percent", "count") else ""
    if column.kind == "percent" and isinstance(value, int | float):
        return show_value(float(value), percent=True)
    if column.kind == "count" and isinstance(value, int | float):
        return show_value(value, percent=False)
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def chart(table: Table) -> Markup:
    """The table's chart as inline SVG (empty when the table has no chart or no rows)."""
    spec = table.chart
    if spec is None or not table.rows:
        return Markup("")
    series = [Series(table.columns[i].title, [float(v) if isinstance(v, int | float) else 0.0
                                              for v in table.column(i)],
                     percent=table.columns[i].kind == "percent") for i in spec.values]
    labels = list(table.point_labels) or [str(v) for v in table.column(spec.labels)]
    chart_id = f"chart-{table.name}"
    if spec.kind == "line":
        return Markup(line_chart(chart_id, table.title, labels, series))
    return Markup(bar_chart(chart_id, table.title, labels, series, colours=spec.colours))


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("intake.reporting", "templates"),
                              autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(show_cell=show_cell, chart=chart, show_moment=show_moment,
                               numeric=("count", "percent"))
    return environment


@cache
def stylesheet() -> str:
    return files("intake.reporting").joinpath("templates/report.css").read_text(encoding="utf-8")


def render_body(report: Report, table_link: TableLink | None = None) -> Markup:
    """The report's sections, to go inside a page that has its own heading and stylesheet.
    ``table_link`` gives the address of each table's CSV file by table name."""
    template = _environment().get_template("body.html")
    return Markup(template.render(report=report, table_link=table_link))


def render_document(report: Report, table_link: TableLink | None = None,
                    style_nonce: str | None = None) -> str:
    """A whole HTML document with its styles inside, to print on A4 or send as one file.
    ``style_nonce`` lets a page served under a Content-Security-Policy keep its inline styles."""
    template = _environment().get_template("report.html")
    return template.render(report=report, body=render_body(report, table_link),
                           stylesheet=Markup(stylesheet()), style_nonce=style_nonce)
