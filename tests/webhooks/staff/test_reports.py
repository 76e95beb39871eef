"""The assurance report in the workspace: who may open it, the period form, printing, CSV files."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.message import Answers, IncomingMessage
from intake.storage.models import AuditEvent
from tests.webhooks.staff.conftest import ROLES

StaffClient = Callable[[str], FlaskClient]


def ingest(runtime: Runtime, pid: str, when: str, service: str) -> None:
    result = runtime.intake.ingest(IncomingMessage(
        "sms", pid, "Thank you", received_at=datetime.fromisoformat(when).replace(tzinfo=UTC),
        answers=Answers(language="en", services=(service,))))
    assert result.reference


def test_strangers_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in ("/staff/reports", "/staff/reports/print", "/staff/reports/tables.zip",
                 "/staff/reports/tables/summary.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_read_the_report(staff_client: StaffClient, role: str) -> None:
    page = staff_client(role).get("/staff/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1" in html and "Assurance report" in html
    assert 'href="/staff/reports"' in html                      # in the navigation


def test_the_form_defaults_to_the_two_months_just_ended(staff_client: StaffClient,
                                                        runtime: Runtime) -> None:
    ingest(runtime, "in", "2026-10-01T10:00:00", "pharmacy")
    ingest(runtime, "out", "2026-11-01T10:00:00", "dental")       # after the period
    html = staff_client("viewer").get("/staff/reports").get_data(as_text=True)
    assert 'name="from" type="date" value="2026-09-01"' in html
    assert 'name="to" type="date" value="2026-10-31"' in html
    assert "1 September 2026 to 31 October 2026" in html
    assert "Pharmacy" in html and "Dentist" not in html
    assert html.count('class="report-svg"') == html.count('class="report-pair"') >= 5
    links = re.findall(r'href="(/staff/reports/tables/[a-z_]+\.csv[^"]*)"', html)
    assert len(links) == 11
    assert all("from=2026-09-01&amp;to=2026-10-31" in link for link in links)


def test_a_chosen_period_and_months(staff_client: StaffClient, runtime: Runtime) -> None:
    ingest(runtime, "in", "2026-11-01T10:00:00", "dental")
    html = staff_client("viewer").get("/staff/reports?from=2026-07-01&to=2026-11-02&by=month") \
        .get_data(as_text=True)
    assert "1 July 2026 to 2 November 2026" in html
    assert "Feedback received by month" in html and "Dentist" in html


@pytest.mark.parametrize("query, field, message", [
    ("from=2026-13-01&to=2026-10-31", "from", "Enter the start date as a real date"),
    ("from=2026-09-01&to=yesterday", "to", "Enter the end date as a real date"),
    ("from=2026-10-01&to=2026-09-01", "to", "The end date must be the same as or after"),
    ("from=2026-09-01&to=2026-10-31&by=day", "by", "Choose weeks or months"),
])
def test_a_bad_period_is_shown_on_the_form(staff_client: StaffClient, query: str, field: str,
                                           message: str) -> None:
    response = staff_client("viewer").get(f"/staff/reports?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and message in html and f'href="#{field}"' in html
    assert "report-svg" not in html


def test_one_table_as_csv(staff_client: StaffClient, runtime: Runtime) -> None:
    ingest(runtime, "in", "2026-10-01T10:00:00", "pharmacy")
    response = staff_client("reviewer").get(
        "/staff/reports/tables/services.csv?from=2026-09-01&to=2026-10-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="report-2026-09-01-to-2026-10-31-services.csv"' in \
        response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [["Service", "Items", "Share of items (%)"], ["Pharmacy", "1", "100.0"]]
    with runtime.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "report.exported"))
        assert event is not None
        assert (event.actor, event.entity_id, event.details) == (
            "staff:reviewer@example.org", "2026-09-01-to-2026-10-31",
            {"format": "csv", "table": "services"})


def test_an_unknown_table_is_not_found(staff_client: StaffClient) -> None:
    assert staff_client("viewer").get("/staff/reports/tables/secrets.csv").status_code == 404


def test_all_tables_as_a_zip(staff_client: StaffClient) -> None:
    response = staff_client("admin").get("/staff/reports/tables.zip?from=2026-09-01&to=2026-10-31")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()
    assert len(names) == 11 and "report-2026-09-01-to-2026-10-31/tracker.csv" in names


def test_the_printable_report_is_one_a4_document(staff_client: StaffClient) -> None:
    client = staff_client("viewer")
    response = client.get("/staff/reports/print?from=2026-09-01&to=2026-10-31")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith("<!DOCTYPE html>") and "size: A4" in html
    assert "nhsuk-header" not in html                      # no workspace around it
    assert client.get("/staff/reports/print?from=nonsense").status_code == 400
    css = client.get("/staff/reports/report.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
