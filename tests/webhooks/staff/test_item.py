"""One feedback item through the test client: who may see and change what, the forms doing what
they say (audited under the person's name), replies only where allowed, the person's needs in
front of whoever replies, and the original text for admins only."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.storage.models import (
    AuditEvent,
    FeedbackNote,
    FeedbackTrackerLink,
    OutboundMessage,
    Tag,
)
from intake.tag_history import active_tags
from tests.intake.staff.ingested import add_conversation, add_tracker_item, ingest, load
from tests.webhooks.staff.conftest import csrf_token

StaffClient = Callable[[str], FlaskClient]
PHONE = "07700 900123"
SENDER = "+447700900444"
REVIEWER = "staff:reviewer@example.org"


def client_for(role: str, app: Flask, staff_client: StaffClient) -> FlaskClient:
    return app.test_client() if role == "anonymous" else staff_client(role)


def token(client: FlaskClient, signed_in: bool = True) -> str:
    return csrf_token(client, "/staff/account" if signed_in else "/staff/login")


def item_page(client: FlaskClient, reference: str) -> str:
    response = client.get(f"/staff/feedback/{reference}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": token(client), **data})


def tags(runtime: Runtime, reference: str, kind: str) -> dict[str, str]:
    with runtime.sessions() as session:
        return {t.value: t.source for t in active_tags(load(session, reference)) if t.kind == kind}


def first_tag_id(runtime: Runtime, reference: str, kind: str) -> int:
    with runtime.sessions() as session:
        return next(t.id for t in active_tags(load(session, reference)) if t.kind == kind)


# Each route with what each role gets: anonymous, viewer, reviewer, admin.
ROLES = ("anonymous", "viewer", "reviewer", "admin")
MATRIX = {
    "read": (302, 200, 200, 200),
    "original": (302, 403, 403, 200),
    "status": (302, 403, 302, 302),
    "set-tags": (302, 403, 302, 302),
    "confirm-tag": (302, 403, 302, 302),
    "confirm-all": (302, 403, 302, 302),
    "link": (302, 403, 302, 302),
    "note": (302, 403, 302, 302),
    "reply": (302, 403, 302, 302),
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_do_what_on_an_item(app: Flask, runtime: Runtime, staff_client: StaffClient,
                                    role: str) -> None:
    reference = ingest(runtime, sender=SENDER, follow_up=True)
    tracker = add_tracker_item(runtime)
    tag_id = first_tag_id(runtime, reference, "language")   # the services are set below
    client = client_for(role, app, staff_client)
    csrf = token(client, signed_in=role != "anonymous")
    base = f"/staff/feedback/{reference}"
    requests = {
        "read": lambda: client.get(base),
        "original": lambda: client.post(f"{base}/original", data={"csrf_token": csrf}),
        "status": lambda: client.post(f"{base}/status", data={"csrf_token": csrf,
                                                              "status": "in-review"}),
        "set-tags": lambda: client.post(f"{base}/tags", data={
            "csrf_token": csrf, "kind": "service", "operation": "set", "service": ["gp", "dental"]}),
        "confirm-tag": lambda: client.post(f"{base}/tags/{tag_id}", data={
            "csrf_token": csrf, "operation": "confirm"}),
        "confirm-all": lambda: client.post(f"{base}/tags/confirm-all", data={"csrf_token": csrf}),
        "link": lambda: client.post(f"{base}/links", data={
            "csrf_token": csrf, "target": "tracker", "tracker": tracker}),
        "note": lambda: client.post(f"{base}/notes", data={"csrf_token": csrf, "note": "Checked."}),
        "reply": lambda: client.post(f"{base}/reply", data={
            "csrf_token": csrf, "reply": "Thank you for telling us.", "language": "en"}),
    }
    got = {name: send().status_code for name, send in requests.items()}
    expected = {name: codes[ROLES.index(role)] for name, codes in MATRIX.items()}
    assert got == expected
    with runtime.sessions() as session:
        changed = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor.like("staff:%"), AuditEvent.action.notlike("staff.%"))) or 0
        sent = session.scalar(select(func.count()).select_from(OutboundMessage)) or 0
    may_change = role in ("reviewer", "admin")
    assert (changed > 0, sent) == (may_change, int(may_change))
    if role == "anonymous":
        assert "/staff/login" in client.get(base).headers["Location"]


def test_an_unknown_reference_is_not_found(staff_client: StaffClient) -> None:
    client = staff_client("viewer")
    assert client.get("/staff/feedback/FB-222222").status_code == 404
    assert client.get("/staff/feedback/not-a-reference").status_code == 404


def test_the_page_shows_tags_history_links_the_person_and_the_conversation(
        runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime, "My GP never sends large print letters", sender=SENDER,
                       follow_up=True, needs=("bsl-interpreter",))
    add_conversation(runtime, reference, [("Hello", ["What would you like to tell us?"]),
                                          ("My GP never sends large print letters",
                                           ["Thank you."])])
    reviewer = staff_client("reviewer")
    post(reviewer, f"/staff/feedback/{reference}/tags", kind="service", operation="set",
         service="pharmacy")
    html = item_page(reviewer, reference)
    assert "Large print" in html and "SNOMED CT 957331000000109" in html
    assert "Because it says: “large print”" in html
    assert "Tag history (1 earlier tag)" in html and "GP surgery" in html
    assert "Pharmacy" in html and REVIEWER in html
    assert "British Sign Language (BSL) interpreter" in html
    assert "follow-up: agreed" in html and "P-" in html and SENDER not in html
    assert "The conversation" in html and "What would you like to tell us?" in html
    assert "Save services" in html and "Confirm all" in html
    viewer_html = item_page(staff_client("viewer"), reference)
    assert "Save services" not in viewer_html and "Queue reply" not in viewer_html
    assert 'name="csrf_token"' not in viewer_html.split('id="maincontent"')[1]


def test_correcting_tags_keeps_the_old_ones_and_names_the_reviewer(
        runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime)
    reviewer = staff_client("reviewer")
    base = f"/staff/feedback/{reference}"
    assert post(reviewer, f"{base}/tags", kind="need", operation="add",
                need="interpreter:pl").status_code == 302
    post(reviewer, f"{base}/tags", kind="language", operation="set", language="pl")
    post(reviewer, f"{base}/tags/{first_tag_id(runtime, reference, 'service')}",
         operation="remove")
    assert tags(runtime, reference, "need") == {"interpreter:pl": "staff"}
    assert tags(runtime, reference, "language") == {"pl": "staff"}
    assert tags(runtime, reference, "service") == {}
    with runtime.sessions() as session:
        need = session.scalar(select(Tag).where(Tag.value == "interpreter:pl"))
        assert need is not None and need.code == "203901000000102" and need.created_by == REVIEWER
        retracted = session.scalars(select(Tag.retracted_by).where(Tag.retracted_at.is_not(None)))
        assert set(retracted) == {REVIEWER}
    no_language = post(reviewer, f"{base}/tags", kind="language", operation="set", language="")
    assert no_language.status_code == 400 and tags(runtime, reference, "language") == {"pl": "staff"}
    refused = post(reviewer, f"{base}/tags", kind="need", operation="add", need="mind-reading")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#need"' in html


def test_links_notes_and_status_from_the_page(runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime)
    tracker = add_tracker_item(runtime)
    reviewer = staff_client("reviewer")
    base = f"/staff/feedback/{reference}"
    post(reviewer, f"{base}/links", target="tracker", tracker=tracker)
    post(reviewer, f"{base}/notes", note="<b>Rang</b> the practice")
    post(reviewer, f"{base}/status", status="actioned")
    html = item_page(reviewer, reference)
    assert "Phone access at GP surgeries" in html and "Remove link" in html
    assert "&lt;b&gt;Rang&lt;/b&gt; the practice" in html and "<b>Rang" not in html
    assert "New → Actioned" in html
    post(reviewer, f"{base}/links", target="tracker", tracker=tracker, operation="remove")
    with runtime.sessions() as session:
        assert session.scalar(select(FeedbackTrackerLink)) is None
        assert session.scalar(select(FeedbackNote.text)) == "<b>Rang</b> the practice"
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor == REVIEWER)))
    assert {"feedback.linked", "feedback.unlinked", "feedback.note-added",
            "feedback.status-changed"} <= actions
    empty = post(reviewer, f"{base}/notes", note="   ")
    assert empty.status_code == 400 and 'href="#note"' in empty.get_data(as_text=True)


def test_item_forms_need_the_csrf_token(runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime)
    admin = staff_client("admin")
    base = f"/staff/feedback/{reference}"
    assert admin.post(f"{base}/status", data={"status": "closed"}).status_code == 400
    assert admin.post(f"{base}/original").status_code == 400
    assert admin.post(f"{base}/notes", data={"note": "x", "csrf_token": "forged"}).status_code == 400
    with runtime.sessions() as session:
        assert load(session, reference).status == "new"
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "feedback.unredacted-viewed")) is None


def test_the_original_text_is_for_admins_only_and_seeing_it_is_audited(
        runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime, f"Ring me on {PHONE} about my GP")
    for role in ("viewer", "reviewer"):
        client = staff_client(role)
        html = item_page(client, reference)
        assert PHONE not in html and "[phone number]" in html and "Show original text" not in html
        assert post(client, f"/staff/feedback/{reference}/original").status_code == 403
    admin = staff_client("admin")
    assert PHONE not in item_page(admin, reference) and "Show original text" in item_page(admin, reference)
    shown = post(admin, f"/staff/feedback/{reference}/original")
    assert shown.status_code == 200 and PHONE in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    with runtime.sessions() as session:
        viewed = session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action == "feedback.unredacted-viewed")).all()
    assert viewed == ["staff:admin@example.org"]


def test_feedback_and_conversation_text_are_shown_escaped(runtime: Runtime,
                                                          staff_client: StaffClient) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    reference = ingest(runtime, f"My GP {payload}")
    add_conversation(runtime, reference, [(f"Hi {payload}", ["Hello"])])
    admin = staff_client("admin")
    for html in (item_page(admin, reference),
                 post(admin, f"/staff/feedback/{reference}/original").get_data(as_text=True)):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert html.count("&lt;script&gt;alert") >= 2


def test_a_reply_goes_in_their_language_with_their_needs_in_view(
        runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime, "My GP letters are too hard, I need easy read", sender=SENDER,
                       follow_up=True, needs=("interpreter:ur",))
    reviewer = staff_client("reviewer")
    html = item_page(reviewer, reference)
    assert "Needs: Spoken-language interpreter (Urdu), Easy Read" in html
    assert "Writing in Easy Read" in html
    assert re.search(r'<option value="ur"\s+selected', html)
    sent = post(reviewer, f"/staff/feedback/{reference}/reply", reply="شکریہ", language="ur")
    assert sent.status_code == 302
    with runtime.sessions() as session:
        message = session.scalars(select(OutboundMessage)).one()
        assert (message.body, message.language, message.channel) == ("شکریہ", "ur", "sms")
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.reply-queued"))
    assert event is not None and event.actor == REVIEWER
    empty = post(reviewer, f"/staff/feedback/{reference}/reply", reply="  ", language="ur")
    assert empty.status_code == 400 and "Write the reply" in empty.get_data(as_text=True)


@pytest.mark.parametrize(("follow_up", "why"), [
    (None, "was not asked, or did not say, whether we may contact them"),
    (False, "said they do not want to be contacted"),
])
def test_no_reply_box_without_consent_and_the_page_says_why(
        runtime: Runtime, staff_client: StaffClient, follow_up: bool | None, why: str) -> None:
    reference = ingest(runtime, sender=SENDER, follow_up=follow_up, needs=("easy-read",))
    reviewer = staff_client("reviewer")
    html = item_page(reviewer, reference)
    assert why in html and "Queue reply" not in html and "Needs: Easy Read" in html
    refused = post(reviewer, f"/staff/feedback/{reference}/reply", reply="Hello", language="en")
    assert refused.status_code == 400 and why in refused.get_data(as_text=True)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
