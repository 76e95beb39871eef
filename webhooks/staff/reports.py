"""The governing body's assurance report in the workspace: choose a period, read the report,
print it on A4, and download each table (or all of them) as CSV.

The report itself is built and drawn by :mod:`intake.reporting`, the same code `intake report`
runs; this module only reads the period from the query string and serves the results. Anything
that leaves the workspace (a CSV file, a zip, the printable page) is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Response, abort, render_template, request, url_for

from intake.reporting import PeriodError, Report, ReportPeriod, build_report, csv_bytes, default_period
from intake.reporting import tables_zip as make_zip
from intake.reporting.html import render_body, render_document, stylesheet
from intake.reporting.period import GRANULARITIES, Granularity
from intake.staff.dates import local_date, show_moment
from intake.staff.permissions import Action
from intake.storage.models import AuditEvent
from webhooks.runtime import current_runtime
from webhooks.security_headers import csp_nonce
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint

BY_CHOICES = (("", "Weeks for up to three months, months for longer"), ("week", "Week"),
              ("month", "Month"))


@dataclass(frozen=True)
class ReportRequest:
    args: dict[str, str]             # what to put in links (and back in the form)
    period: ReportPeriod | None
    granularity: Granularity | None
    errors: dict[str, str]


def read_request() -> ReportRequest:
    """The period from ``from`` and ``to`` (2026-09-01, both days included) and ``by``; without
    them, the two whole months just ended."""
    default = default_period(local_date(current_runtime().intake.clock()))
    args = {"from": request.args.get("from", "").strip() or default.first.isoformat(),
            "to": request.args.get("to", "").strip() or default.last.isoformat(),
            "by": request.args.get("by", "").strip()}
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, label in (("from", "start"), ("to", "end")):
        try:
            days[name] = date.fromisoformat(args[name])
        except ValueError:
            errors[name] = f"Enter the {label} date as a real date, like 2026-09-01"
    if args["by"] and args["by"] not in GRANULARITIES:
        errors["by"] = "Choose weeks or months from the list"
    period = None
    if not errors:
        try:
            period = ReportPeriod(days["from"], days["to"])
        except PeriodError as exc:
            errors["to"] = str(exc)
    by = args["by"] if args["by"] in GRANULARITIES else None
    return ReportRequest({k: v for k, v in args.items() if v}, period, by, errors)  # type: ignore[arg-type]


def _build(wanted: ReportRequest) -> Report:
    if wanted.period is None:
        abort(400)
    runtime = current_runtime()
    with runtime.sessions() as session:
        return build_report(session, runtime.config, wanted.period, runtime.intake.clock(),
                            granularity=wanted.granularity)


def _audit(report: Report, what: str, table: str | None = None) -> None:
    runtime, who = current_runtime(), principal()
    with runtime.sessions.begin() as session:
        session.add(AuditEvent(occurred_at=runtime.intake.clock(), actor=who.actor,
                               action="report.exported", entity_type="report",
                               entity_id=report.period.slug,
                               details={"format": what, **({"table": table} if table else {})}))


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/reports")
@requires(Action.READ_QUEUE)
def reports() -> tuple[str, int]:
    wanted = read_request()
    report = _build(wanted) if not wanted.errors else None
    body = None
    if report is not None:
        body = render_body(report, lambda name: url_for("staff.report_table", name=name, **wanted.args))
    return render_template("staff/reports.html", title="Assurance report", wanted=wanted,
                           report=report, body=body, errors=wanted.errors,
                           made=show_moment(report.generated_at) if report else "",
                           by_choices=BY_CHOICES), 400 if wanted.errors else 200


@blueprint.get("/reports/print")
@requires(Action.READ_QUEUE)
def report_print() -> Response:
    """The report as one A4 document with its styles inside, to print or save."""
    report = _build(read_request())
    _audit(report, "print")
    response = Response(render_document(report, style_nonce=csp_nonce()), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/reports/tables/<name>.csv")
@requires(Action.READ_QUEUE)
def report_table(name: str) -> Response:
    report = _build(read_request())
    if name not in report.names:
        abort(404)
    _audit(report, "csv", name)
    return _download(csv_bytes(report.table(name)), "text/csv",
                     f"report-{report.period.slug}-{name}.csv")


@blueprint.get("/reports/tables.zip")
@requires(Action.READ_QUEUE)
def report_tables() -> Response:
    report = _build(read_request())
    _audit(report, "zip")
    folder = f"report-{report.period.slug}"
    return _download(make_zip(report.tables, folder), "application/zip", f"{folder}.zip")


@blueprint.get("/reports/report.css")
@requires(Action.READ_QUEUE)
def report_stylesheet() -> Response:
    return Response(stylesheet(), mimetype="text/css")
