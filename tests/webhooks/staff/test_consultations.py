"""The consultation pages through the test client: who may open and post what, the NHS error
summary, CSRF, audit rows, entry points and QR codes, what came in, the report and its CSV."""

from __future__ import annotations

import csv
import io
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
import segno
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.staff import consultations as core
from intake.staff.consultations import ConsultationDetails
from intake.storage.models import AuditEvent, Consultation
from tests.conftest import FIXED_NOW
from tests.intake.staff.synthetic_feedback import add_feedback, reference
from tests.webhooks.staff.conftest import csrf_token
from tests.webhooks.staff.test_tracker import error_summary
from webhooks.sms.settings import TwilioSettings

StaffClient = Callable[[str], FlaskClient]
RANK = {"viewer": 0, "reviewer": 1, "admin": 2}
BASE = "https://intake.example.test"          # PUBLIC_BASE_URL in the test settings
SLUG = "maternity-2026"
FORM_URL = f"{BASE}/feedback/c/{SLUG}"


def make_consultation(runtime: Runtime, slug: str = SLUG, opened: bool = False,
                      **change: object) -> int:
    fields: dict[str, object] = {"slug": slug, "title": "Maternity: what matters",
                                 "questions": {"en": "What would make maternity care better?",
                                               "ur": "زچگی کی دیکھ بھال کو کیا بہتر بنائے گا؟"},
                                 "sms_keyword": "BABY"}
    fields.update(change)
    with runtime.sessions.begin() as session:
        consultation = core.create_consultation(session, runtime.config,
                                                ConsultationDetails(**fields),  # type: ignore[arg-type]
                                                "staff:seed@example.org", FIXED_NOW)
        if opened:
            core.open_consultation(session, consultation, "staff:seed@example.org", FIXED_NOW)
        session.flush()
        return consultation.id


def post(client: FlaskClient, path: str, data: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/account"), **(data or {})})


def audit_actions(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        return [(e.action, e.actor) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "consultation").order_by(AuditEvent.id))]


def form(**change: object) -> dict[str, object]:
    data: dict[str, object] = {"title": "Maternity: what matters", "slug": SLUG,
                               "question_en": "What would make maternity care better?"}
    data.update(change)
    return data


# -- who may do what --------------------------------------------------------------------------

ROUTES = [
    ("GET", "/staff/consultations", "viewer", {}),
    ("GET", "/staff/consultations/{slug}", "viewer", {}),
    ("GET", "/staff/consultations/{slug}/qr.svg", "viewer", {}),
    ("GET", "/staff/consultations/{slug}/qr.png", "viewer", {}),
    ("GET", "/staff/consultations/{slug}/poster", "viewer", {}),
    ("GET", "/staff/consultations/{slug}/report", "viewer", {}),
    ("GET", "/staff/consultations/{slug}/report.csv", "viewer", {}),
    ("GET", "/staff/consultations/new", "admin", {}),
    ("POST", "/staff/consultations/new", "admin", form(slug="second", title="Second")),
    ("GET", "/staff/consultations/{slug}/edit", "admin", {}),
    ("POST", "/staff/consultations/{slug}/edit", "admin", form(title="Maternity care")),
    ("POST", "/staff/consultations/{slug}/open", "admin", {}),
    ("POST", "/staff/consultations/{slug}/close", "admin", {}),
    ("POST", "/staff/consultations/{slug}/reported", "admin", {}),
]


def expected(role: str, method: str, least: str) -> int:
    if role == "anonymous":
        return 302
    if RANK[role] < RANK[least]:
        return 403
    return 200 if method == "GET" else 302


@pytest.mark.parametrize("role", ["anonymous", "viewer", "reviewer", "admin"])
def test_every_route_answers_each_role_as_the_permissions_say(
        role: str, app: Flask, runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime)
    client = app.test_client() if role == "anonymous" else staff_client(role)
    token = csrf_token(client, "/staff/login" if role == "anonymous" else "/staff/account")
    answered, wanted = {}, {}
    for method, path, least, data in ROUTES:
        path = path.format(slug=SLUG)
        response = client.get(path) if method == "GET" else client.post(
            path, data={"csrf_token": token, **data})
        answered[f"{method} {path}"] = response.status_code
        wanted[f"{method} {path}"] = expected(role, method, least)
        if role == "anonymous":
            assert "/staff/login" in response.headers["Location"]
    assert answered == wanted
    actions = [a for a, _ in audit_actions(runtime)][1:]      # the first is the seed consultation
    reads = ["consultation.exported"] if role != "anonymous" else []
    if role == "admin":
        assert actions == [*reads, "consultation.created", "consultation.edited",
                           "consultation.opened", "consultation.closed", "consultation.reported"]
    else:
        assert actions == reads


def test_unknown_consultations_are_not_found(staff_client: StaffClient) -> None:
    client = staff_client("admin")
    for path in ("/staff/consultations/nope", "/staff/consultations/nope/qr.svg",
                 "/staff/consultations/nope/poster", "/staff/consultations/nope/report.csv",
                 "/staff/consultations/nope/edit"):
        assert client.get(path).status_code == 404, path
    assert post(client, "/staff/consultations/nope/open").status_code == 404


def test_opening_without_a_csrf_token_changes_nothing(runtime: Runtime,
                                                      staff_client: StaffClient) -> None:
    make_consultation(runtime)
    response = staff_client("admin").post(f"/staff/consultations/{SLUG}/open")
    assert response.status_code == 400
    with runtime.sessions() as session:
        assert session.scalar(select(Consultation.status)) == "planned"


# -- setting one up -----------------------------------------------------------------------------

def test_mistakes_are_listed_in_the_error_summary_in_the_forms_order(runtime: Runtime,
                                                                     staff_client: StaffClient) -> None:
    make_consultation(runtime, "taken", sms_keyword="TAKEN")
    client = staff_client("admin")
    response = post(client, "/staff/consultations/new", form(
        slug="Maternity 2026!", question_en="", question_ur="<b>سوال</b>", sms_keyword="taken",
        **{"opens[day]": "10", "opens[month]": "11", "opens[year]": "2026",
           "closes[day]": "9", "closes[month]": "11", "closes[year]": "2026"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: New consultation" in page
    assert error_summary(page) == [
        ("#slug", "The short name must be 64 characters or fewer, using only lower-case letters, "
                  "numbers and hyphens, like maternity-2026"),
        ("#question_en", "Enter the question in English"),
        ("#sms_keyword", "Another consultation already uses TAKEN: choose a different keyword"),
        ("#closes-day", "The closing date must be after the opening date")]
    assert "&lt;b&gt;سوال&lt;/b&gt;" in page                       # what was typed, escaped
    assert 'lang="ur" dir="rtl"' in page
    with runtime.sessions() as session:
        assert session.scalars(select(Consultation.slug)).all() == ["taken"]


def test_an_admin_sets_one_up_with_days_in_england(runtime: Runtime, staff_client: StaffClient) -> None:
    client = staff_client("admin")
    response = post(client, "/staff/consultations/new", form(
        summary="How should maternity care change?", services=["maternity"],
        keywords="midwife, labour ward\nbirth", sms_keyword="baby",
        **{"opens[day]": "1", "opens[month]": "7", "opens[year]": "2026",
           "closes[day]": "31", "closes[month]": "1", "closes[year]": "2027"}))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/consultations/{SLUG}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The consultation has been created." in page
    with runtime.sessions() as session:
        created = session.scalar(select(Consultation))
        assert created is not None
        assert (created.sms_keyword, created.keywords, created.services) == (
            "BABY", ["midwife", "labour ward", "birth"], ["maternity"])
        assert created.opens_at is not None and created.opens_at.isoformat() == "2026-06-30T23:00:00+00:00"
        assert created.closes_at is not None and created.closes_at.isoformat() == "2027-02-01T00:00:00+00:00"
    assert audit_actions(runtime) == [("consultation.created", "staff:admin@example.org")]


def test_the_slug_is_locked_once_open_and_resaving_keeps_the_exact_opening_time(
        runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime, opened=True)                      # opened "now": 10:30 on 2 Nov
    client = staff_client("admin")
    page = client.get(f"/staff/consultations/{SLUG}/edit").get_data(as_text=True)
    assert 'name="slug"' in page and 'id="slug"' not in page     # shown, not editable
    [day_box] = re.findall(r'<input[^>]*name="opens\[day\]"[^>]*>', page)
    assert 'value="2"' in day_box
    data = form(title="Maternity care", question_ur="سوال",
                **{"opens[day]": "2", "opens[month]": "11", "opens[year]": "2026"})
    assert post(client, f"/staff/consultations/{SLUG}/edit", data).status_code == 302
    with runtime.sessions() as session:
        saved = session.scalar(select(Consultation))
        assert saved is not None and saved.opens_at == FIXED_NOW and saved.title == "Maternity care"
    response = post(client, f"/staff/consultations/{SLUG}/edit", form(slug="renamed"))
    assert response.status_code == 400
    assert error_summary(response.get_data(as_text=True))[0][0] == "#slug"


def test_opening_closing_and_reporting(runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime)
    client = staff_client("admin")
    page = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert "Not open now" in page and "Open the consultation" in page
    assert "Mark as reported" not in page
    post(client, f"/staff/consultations/{SLUG}/open")
    page = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert "The consultation is open." in page and "Not open now" not in page
    assert re.search(r'nhsuk-tag--green"\s*>\s*Open\s*<', page)
    post(client, f"/staff/consultations/{SLUG}/close")
    page = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert "The consultation is closed." in page and "Mark as reported" in page
    post(client, f"/staff/consultations/{SLUG}/open")              # the closing time has passed
    page = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert "has passed. Change or remove it, then open the consultation." in page
    post(client, f"/staff/consultations/{SLUG}/reported")
    with runtime.sessions() as session:
        assert session.scalar(select(Consultation.status)) == "reported"
    assert [a for a, _ in audit_actions(runtime)] == [
        "consultation.created", "consultation.opened", "consultation.closed", "consultation.reported"]


# -- entry points and QR codes ------------------------------------------------------------------

def test_the_form_path_is_the_public_forms_own_route(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("public.consultation_feedback", slug=SLUG) == core.FORM_PATH.format(slug=SLUG)


def test_entry_points_use_the_configured_address_number_and_bot(
        app: Flask, runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime, opened=True)
    client = staff_client("viewer")
    app.config["TWILIO"] = TwilioSettings("", "", "", "", "")
    app.config["TELEGRAM"] = TelegramSettings("", "", "")
    page = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert f'<a href="{FORM_URL}" id="form-url">' in page
    assert "TWILIO_FROM_NUMBER" in page and "TELEGRAM_BOT_USERNAME" in page
    app.config["TWILIO"] = TwilioSettings("AC1", "token", "+447700900123", "", "")
    app.config["TELEGRAM"] = TelegramSettings("t", "", "", bot_username="involve_test_bot")
    page = client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    assert '<p id="sms-instruction">Text BABY to 07700 900123</p>' in page
    assert f'href="https://t.me/involve_test_bot?start={SLUG}"' in page
    assert f'src="/staff/consultations/{SLUG}/qr.svg" alt="QR code that opens {FORM_URL}"' in page
    poster = client.get(f"/staff/consultations/{SLUG}/poster").get_data(as_text=True)
    assert f'<strong id="poster-url">{FORM_URL}</strong>' in poster
    assert "What would make maternity care better?" in poster
    assert "Text BABY to 07700 900123" in poster and 'lang="ur" dir="rtl"' in poster


def test_the_settings_read_the_bots_username() -> None:
    settings = TelegramSettings.from_env({"TELEGRAM_BOT_USERNAME": " @involve_bot "})
    assert settings.bot_username == "involve_bot"
    assert TelegramSettings.from_env({}).bot_username == ""


def svg_modules(svg: bytes) -> set[tuple[int, int]]:
    """The dark modules an SVG path from segno draws ("M x y", "m dx dy", "h n" runs)."""
    root = ET.fromstring(svg)
    [path] = root.iter("{http://www.w3.org/2000/svg}path")
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d", "")):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            dark.update((int(x) + i, int(y)) for i in range(int(first)))
            x += float(first)
    return dark


def test_the_qr_code_svg_encodes_the_public_form_address(runtime: Runtime,
                                                         staff_client: StaffClient) -> None:
    make_consultation(runtime)
    response = staff_client("viewer").get(f"/staff/consultations/{SLUG}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findtext("{http://www.w3.org/2000/svg}title") == FORM_URL
    expected_code = segno.make(FORM_URL, error="m", micro=False)
    border = 4
    wanted = {(col + border, row + border) for row, line in enumerate(expected_code.matrix)
              for col, module in enumerate(line) if module}
    assert svg_modules(response.data) == wanted
    other = segno.make(f"{BASE}/feedback/c/other", error="m", micro=False)
    assert {(c + border, r + border) for r, line in enumerate(other.matrix)
            for c, module in enumerate(line) if module} != wanted


def test_the_qr_code_png_is_an_image_of_the_right_size(runtime: Runtime,
                                                       staff_client: StaffClient) -> None:
    make_consultation(runtime)
    response = staff_client("viewer").get(f"/staff/consultations/{SLUG}/qr.png")
    assert response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", response.data[16:24])
    modules = segno.make(FORM_URL, error="m", micro=False).symbol_size(border=4)[0]
    assert width == height == modules * 12


# -- what came in, the report and the CSV -------------------------------------------------------

def add_answers(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
        other = session.scalar(select(Consultation).where(Consultation.slug == "other"))
        add_feedback(session, 1, channel="sms", services=["maternity"], language="en",
                     needs=["bsl-interpreter"], fft="very-good", consultation=consultation,
                     text="Ring me on 07700 900123, the midwife was lovely",
                     redacted="Ring me on [phone number], the midwife was lovely")
        add_feedback(session, 2, channel="web", services=["maternity"], language="ur", fft="poor",
                     consultation=consultation, text="=SUM(A1) <i>kind</i> staff")
        add_feedback(session, 3, channel="web", language="en", fft="good", consultation=consultation)
        add_feedback(session, 4, channel="sms", fft="very-poor", consultation=other,
                     text="Another consultation's feedback")


def test_the_page_counts_what_came_in(runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime, opened=True)
    make_consultation(runtime, "other", sms_keyword="OTHER")
    add_answers(runtime)
    page = staff_client("viewer").get(f"/staff/consultations/{SLUG}").get_data(as_text=True)

    def table(name: str) -> list[tuple[str, str]]:
        body = page.split(f'id="{name}"')[1].split("</table>")[0]
        cells = re.findall(r'<td class="nhsuk-table__cell[^"]*">(.*?)</td>', body, re.S)
        return [(re.sub(r"<[^>]+>", "", a).strip(), b.strip())
                for a, b in zip(cells[::2], cells[1::2], strict=True)]
    assert "3 feedback items" in page
    assert table("by-channel") == [("Web form", "2"), ("SMS", "1")]
    assert table("by-service") == [("Maternity", "2"), ("No service yet", "1")]
    assert table("by-language") == [("English", "2"), ("Urdu", "1")]
    assert table("by-need") == [("British Sign Language (BSL) interpreter", "1"),
                                ("No need recorded", "2")]
    assert table("fft") == [("Very good", "1"), ("Good", "1"), ("Neither good nor poor", "0"),
                            ("Poor", "1"), ("Very poor", "0"), ("Don&#39;t know", "0")]
    assert "67% positive (very good or good) and 33% negative (poor or very poor), of all 3 answers" \
        in page


def test_the_report_prints_redacted_comments_and_counts(runtime: Runtime,
                                                        staff_client: StaffClient) -> None:
    make_consultation(runtime, opened=True)
    make_consultation(runtime, "other", sms_keyword="OTHER")
    add_answers(runtime)
    page = staff_client("viewer").get(f"/staff/consultations/{SLUG}/report").get_data(as_text=True)
    assert "Ring me on [phone number], the midwife was lovely" in page
    assert "07700 900123" not in page
    assert "&lt;i&gt;kind&lt;/i&gt;" in page
    assert "Another consultation" not in page
    assert reference(1) in page and reference(4) not in page
    assert 'id="by-channel"' in page and "What would make maternity care better?" in page


def test_the_csv_download_is_redacted_limited_to_the_consultation_and_audited(
        runtime: Runtime, staff_client: StaffClient) -> None:
    make_consultation(runtime, opened=True)
    make_consultation(runtime, "other", sms_keyword="OTHER")
    add_answers(runtime)
    response = staff_client("viewer").get(f"/staff/consultations/{SLUG}/report.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="consultation-{SLUG}-2026-11-02.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert sorted(r["reference"] for r in rows) == [reference(1), reference(2), reference(3)]
    by_reference = {r["reference"]: r for r in rows}
    assert by_reference[reference(1)]["text"] == "Ring me on [phone number], the midwife was lovely"
    assert by_reference[reference(2)]["text"].startswith("'=SUM")      # not run as a formula
    assert "07700 900123" not in text
    assert audit_actions(runtime)[-1] == ("consultation.exported", "staff:viewer@example.org")
