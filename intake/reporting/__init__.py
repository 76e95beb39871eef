"""The governing body's bi-monthly assurance report: volumes by channel, service, language and
need over time, reach among people with communication-support needs and people writing in other
languages, tracker items by rating with next steps, consultations, and "you said, we did".

No web code: ``intake report`` (the CLI) and ``/staff/reports`` (the workspace) both build a
:class:`Report` here and render it as a printable A4 page (:mod:`intake.reporting.html`) or as
CSV files, one per table (:mod:`intake.reporting.tables`).
"""

from intake.reporting.period import PeriodError, ReportPeriod, default_period
from intake.reporting.report import Report, build_report
from intake.reporting.tables import Table, csv_bytes, tables_zip

__all__ = ["PeriodError", "Report", "ReportPeriod", "Table", "build_report", "csv_bytes",
           "default_period", "tables_zip"]
