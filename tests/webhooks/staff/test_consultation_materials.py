"""A consultation's printed and shared materials, as the module makes them: the QR code helpers
(error level, quiet zone, scalable SVG), caching headers, the poster's privacy link, the report's
cut-off note, and the CSV of a consultation nothing has come in for yet."""

from __future__ import annotations

import csv
import io
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta

import pytest
import segno
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.export import CSV_COLUMNS
from intake.storage.models import AuditEvent, Consultation
from tests.intake.staff.synthetic_feedback import add_feedback, reference
from tests.webhooks.staff.test_consultations import BASE, FORM_URL, SLUG, make_consultation
from webhooks.staff import consultation_materials
from webhooks.staff.consultation_materials import (
    PNG_SCALE,
    QR_BORDER,
    qr_code,
    qr_png,
    qr_svg,
)

StaffClient = Callable[[str], FlaskClient]
SVG = "{http://www.w3.org/2000/svg}"


# -- the QR helpers -----------------------------------------------------------------------------

def test_the_code_is_a_full_qr_code_at_error_level_m() -> None:
    code = qr_code(FORM_URL)
    assert code.error == "M"
    assert not code.is_micro
    assert segno.make(FORM_URL, error="m", micro=False).matrix == code.matrix


def test_the_svg_is_scalable_titled_and_without_an_xml_declaration() -> None:
    data = qr_svg(FORM_URL)
    assert data.startswith(b"<svg")
    root = ET.fromstring(data)
    assert "width" not in root.attrib and "height" not in root.attrib  # sized by CSS
    assert "class" not in root.attrib
    assert root.findtext(f"{SVG}title") == FORM_URL
    modules = qr_code(FORM_URL).symbol_size(border=QR_BORDER)[0]
    assert root.attrib["viewBox"] == f"0 0 {modules} {modules}"


def test_the_png_has_the_quiet_zone_and_the_print_scale() -> None:
    data = qr_png(FORM_URL)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    inner = qr_code(FORM_URL).symbol_size(border=0)[0]
    assert width == height == (inner + 2 * QR_BORDER) * PNG_SCALE


def test_a_longer_address_makes_a_larger_code() -> None:
    short = qr_code(f"{BASE}/feedback/c/a").symbol_size(border=0)[0]
    longer = qr_code(f"{BASE}/feedback/c/{'a-much-longer-slug-' * 4}").symbol_size(border=0)[0]
    assert longer > short


# -- the routes ---------------------------------------------------------------------------------

def test_qr_codes_may_be_cached_privately_for_five_minutes(runtime: Runtime,
                                                           staff_client: StaffClient) -> None:
    make_consultation(runtime)
    client = staff_client("viewer")
    for suffix, mimetype in (("qr.svg", "image/svg+xml"), ("qr.png", "image/png")):
        response = client.get(f"/staff/consultations/{SLUG}/{suffix}")
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert response.headers["Cache-Control"] == "private, max-age=300"


def test_the_poster_links_to_the_public_privacy_notice(runtime: Runtime,
                                                       staff_client: StaffClient) -> None:
    make_consultation(runtime, opened=True)
    page = staff_client("viewer").get(f"/staff/consultations/{SLUG}/poster").get_data(as_text=True)
    assert f"How we use your feedback: {BASE}/privacy" in page


def test_the_report_says_when_only_the_newest_comments_are_printed(
        runtime: Runtime, staff_client: StaffClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_consultation(runtime, opened=True)
    with runtime.sessions.begin() as session:
        consultation = session.scalars(select(Consultation)).one()
        for number in range(3):
            add_feedback(session, number, consultation=consultation,
                         received_at=consultation.opens_at + timedelta(hours=number + 1),
                         text=f"Comment number {number}")
    client = staff_client("viewer")
    path = f"/staff/consultations/{SLUG}/report"

    whole = client.get(path).get_data(as_text=True)
    assert "are printed here" not in whole
    assert all(f"Comment number {n}" in whole for n in range(3))

    monkeypatch.setattr(consultation_materials, "REPORT_LIMIT", 2)
    cut = client.get(path).get_data(as_text=True)
    assert "The newest 2 of 3 are printed here; the CSV download has them all." in cut
    assert reference(2) in cut and reference(1) in cut and reference(0) not in cut
    csv_text = client.get(f"{path}.csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(csv_text.removeprefix("\ufeff"))))) == 3


def test_the_csv_of_a_consultation_with_nothing_in_is_the_header_and_is_still_audited(
        runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime)
    response = staff_client("reviewer").get(f"/staff/consultations/{SLUG}/report.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [list(CSV_COLUMNS)]
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "consultation.exported")).one()
        assert event.actor == "staff:reviewer@example.org"


def test_materials_of_an_unknown_consultation_are_not_found_and_not_audited(
        runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime)
    client = staff_client("viewer")
    for suffix in ("qr.png", "report", "report.csv"):
        assert client.get(f"/staff/consultations/other/{suffix}").status_code == 404, suffix
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEvent).where(
            AuditEvent.action == "consultation.exported")).all() == []


def test_strangers_are_sent_to_sign_in(runtime: Runtime, client: FlaskClient) -> None:
    make_consultation(runtime)
    for suffix in ("qr.svg", "qr.png", "poster", "report", "report.csv"):
        response = client.get(f"/staff/consultations/{SLUG}/{suffix}")
        assert response.status_code == 302, suffix
        assert "/staff/login" in response.headers["Location"]
