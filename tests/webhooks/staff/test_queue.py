"""The feedback queue through the test client: who may open it and act on it, filters and their
counts, flagged items pinned, pages of 25, bulk actions, CSRF and escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from itertools import count, islice

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.feedback_sample import is_in_sample
from intake.storage.models import AuditEvent, Feedback, FeedbackTrackerLink, Tag
from tests.conftest import FIXED_NOW
from tests.intake.staff.ingested import add_consultation, add_tracker_item, ingest
from tests.webhooks.staff.conftest import csrf_token

StaffClient = Callable[[str], FlaskClient]


def client_for(role: str, app: Flask, staff_client: StaffClient) -> FlaskClient:
    return app.test_client() if role == "anonymous" else staff_client(role)


def page(client: FlaskClient, path: str = "/staff/queue") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def references(html: str) -> list[str]:
    """The items listed, in order."""
    return re.findall(r'<a href="/staff/feedback/(FB-[A-Z0-9]{6})"', html)


def option(html: str, select_id: str, value: str) -> str:
    """The visible text of one option of a select."""
    block = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S)
    assert block, f"no select {select_id}"
    found = re.search(rf'<option value="{re.escape(value)}"[^>]*>([^<]*)</option>', block.group(0))
    assert found, f"no option {value} in {select_id}"
    return unescape(found.group(1)).strip()


def status_of(runtime: Runtime, reference: str) -> str:
    with runtime.sessions() as session:
        return session.scalars(select(Feedback.status).where(Feedback.reference == reference)).one()


@pytest.mark.parametrize(("role", "read", "act"), [
    ("anonymous", 302, 302), ("viewer", 200, 403), ("reviewer", 200, 302), ("admin", 200, 302)])
def test_who_may_read_the_queue_and_act_on_it(app: Flask, runtime: Runtime,
                                              staff_client: StaffClient, role: str, read: int,
                                              act: int) -> None:
    reference = ingest(runtime)
    client = client_for(role, app, staff_client)
    response = client.get("/staff/queue")
    assert response.status_code == read
    if read == 302:
        assert "/staff/login" in response.headers["Location"]
    token = csrf_token(client, "/staff/login" if role == "anonymous" else "/staff/account")
    posted = client.post("/staff/queue/bulk", data={
        "csrf_token": token, "reference": reference, "action": "set-status", "status": "closed"})
    assert posted.status_code == act
    assert status_of(runtime, reference) == ("closed" if act == 302 and role != "anonymous" else "new")


def test_viewers_get_no_bulk_controls(runtime: Runtime, staff_client: StaffClient) -> None:
    ingest(runtime)
    html = page(staff_client("viewer"))
    assert "Set status" not in html and 'name="reference"' not in html
    html = page(staff_client("reviewer"))
    assert "Set status" in html and 'name="reference"' in html


def test_filters_narrow_the_list_and_counts_show_what_each_value_gives(
        runtime: Runtime, staff_client: StaffClient) -> None:
    gp_sms = ingest(runtime, "My GP surgery never answers the phone")
    gp_web = ingest(runtime, "My GP was kind and listened", channel="web")
    pharmacy = ingest(runtime, "The pharmacy ran out of my prescription", channel="web")
    client = staff_client("viewer")
    everything = page(client)
    assert set(references(everything)) == {gp_sms, gp_web, pharmacy}
    assert option(everything, "filter-service", "gp") == "GP surgery (2)"
    assert option(everything, "filter-service", "pharmacy") == "Pharmacy (1)"
    assert option(everything, "filter-channel", "web") == "Web form (2)"

    web = page(client, "/staff/queue?channel=web")
    assert set(references(web)) == {gp_web, pharmacy}
    assert option(web, "filter-service", "gp") == "GP surgery (1)"     # other filters applied
    assert option(web, "filter-channel", "sms") == "SMS (1)"           # but not its own
    assert "Web form" in web and "Remove<span" in web

    both = page(client, "/staff/queue?channel=web&service=gp")
    assert references(both) == [gp_web]
    assert 'href="/staff/queue?channel=web"' in both                   # removes only the service
    assert page(client, "/staff/queue?q=prescription").count("/staff/feedback/FB-") == 1
    assert references(page(client, f"/staff/queue?q={pharmacy.lower()}")) == [pharmacy]
    assert references(page(client, "/staff/queue?service=none")) == []


def test_dates_status_and_links_filter_too(runtime: Runtime, staff_client: StaffClient) -> None:
    old = ingest(runtime, received_at=FIXED_NOW - timedelta(days=10))
    recent = ingest(runtime, "The pharmacy was lovely")
    tracker = add_tracker_item(runtime)
    consultation = add_consultation(runtime)
    reviewer = staff_client("reviewer")
    token = csrf_token(reviewer, "/staff/queue")
    reviewer.post("/staff/queue/bulk", data={"csrf_token": token, "reference": old,
                                             "action": "link-tracker", "tracker": tracker})
    reviewer.post("/staff/queue/bulk", data={"csrf_token": token, "reference": recent,
                                             "action": "link-consultation",
                                             "consultation": consultation})
    since = (FIXED_NOW - timedelta(days=2)).date().isoformat()
    until = (FIXED_NOW - timedelta(days=5)).date().isoformat()
    assert references(page(reviewer, f"/staff/queue?since={since}")) == [recent]
    assert references(page(reviewer, f"/staff/queue?until={until}")) == [old]
    assert references(page(reviewer, f"/staff/queue?tracker={tracker}")) == [old]
    assert references(page(reviewer, "/staff/queue?consultation=pharmacy-review")) == [recent]
    assert references(page(reviewer, "/staff/queue?status=new")) == [recent, old]
    broken = page(reviewer, "/staff/queue?since=yesterday&status=nonsense")
    assert "Enter a date like" in broken and references(broken) == [recent, old]


def test_open_flagged_items_are_pinned_first_and_marked(runtime: Runtime,
                                                        staff_client: StaffClient) -> None:
    flagged = ingest(runtime, "I want to end my life", received_at=FIXED_NOW - timedelta(days=3))
    closed_flag = ingest(runtime, "I can't breathe at night",
                         received_at=FIXED_NOW - timedelta(days=2))
    newest = ingest(runtime, "The pharmacy was lovely", received_at=FIXED_NOW)
    reviewer = staff_client("reviewer")
    reviewer.post("/staff/queue/bulk", data={
        "csrf_token": csrf_token(reviewer, "/staff/queue"), "reference": closed_flag,
        "action": "set-status", "status": "closed"})
    html = page(reviewer)
    assert references(html) == [flagged, newest, closed_flag]
    assert html.count("Pinned: ") == 1 and "Pinned: Suicidal thoughts or self-harm" in html
    assert option(html, "filter-flag", "suicide-self-harm") == "Suicidal thoughts or self-harm (1)"


def test_pages_of_25_keep_the_filters(runtime: Runtime, staff_client: StaffClient) -> None:
    made = [ingest(runtime, f"My GP appointment number {n} was late",
                   received_at=FIXED_NOW - timedelta(minutes=n)) for n in range(27)]
    ingest(runtime, "The pharmacy was lovely")
    client = staff_client("viewer")
    first = page(client, "/staff/queue?service=gp")
    assert references(first) == made[:25]
    assert "Showing 1 to 25 of 27 items" in first
    assert 'href="/staff/queue?service=gp&amp;page=2"' in first
    second = page(client, "/staff/queue?service=gp&page=2")
    assert references(second) == made[25:]
    assert references(page(client, "/staff/queue?service=gp&page=99")) == made[25:]   # last page


def test_bulk_actions_change_the_selected_items_and_return_to_the_same_view(
        runtime: Runtime, staff_client: StaffClient) -> None:
    chosen = [ingest(runtime), ingest(runtime, "My GP was kind")]
    other = ingest(runtime, "My GP was slow")
    reviewer = staff_client("reviewer")
    response = reviewer.post("/staff/queue/bulk", data={
        "csrf_token": csrf_token(reviewer, "/staff/queue"), "reference": chosen,
        "action": "set-status", "status": "in-review", "back": "service=gp&page=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/queue?service=gp"
    assert [status_of(runtime, r) for r in (*chosen, other)] == ["in-review", "in-review", "new"]
    assert "Status changed: 2 of 2 selected items changed." in page(reviewer, "/staff/queue")
    with runtime.sessions() as session:
        batch = session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.bulk-action"))
    assert batch is not None and batch.actor == "staff:reviewer@example.org"


def test_a_bulk_action_needs_a_selection_and_a_target(runtime: Runtime,
                                                      staff_client: StaffClient) -> None:
    reference = ingest(runtime)
    reviewer = staff_client("reviewer")
    token = csrf_token(reviewer, "/staff/queue")
    nothing = reviewer.post("/staff/queue/bulk", data={"csrf_token": token, "action": "confirm-tags"})
    assert nothing.status_code == 400
    assert "Select at least one feedback item" in nothing.get_data(as_text=True)
    no_target = reviewer.post("/staff/queue/bulk", data={
        "csrf_token": token, "reference": reference, "action": "link-tracker", "tracker": ""})
    assert no_target.status_code == 400
    assert 'href="#bulk-tracker"' in no_target.get_data(as_text=True)
    with runtime.sessions() as session:
        assert session.scalar(select(FeedbackTrackerLink)) is None


def test_bulk_actions_need_the_csrf_token(runtime: Runtime, staff_client: StaffClient) -> None:
    reference = ingest(runtime)
    reviewer = staff_client("reviewer")
    response = reviewer.post("/staff/queue/bulk", data={
        "reference": reference, "action": "set-status", "status": "closed"})
    assert response.status_code == 400
    assert status_of(runtime, reference) == "new"


def test_feedback_text_is_shown_escaped(runtime: Runtime, staff_client: StaffClient) -> None:
    ingest(runtime, 'My GP <script>alert("x")</script> <img src=x onerror=alert(1)>')
    html = page(staff_client("viewer"))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_the_queue_is_not_cached(runtime: Runtime, staff_client: StaffClient) -> None:
    response = staff_client("viewer").get("/staff/queue")
    assert response.headers["Cache-Control"] == "no-store"


def test_needs_filter_by_any_interpreter_and_by_none(runtime: Runtime,
                                                     staff_client: StaffClient) -> None:
    urdu = ingest(runtime, "My GP was fine", needs=("interpreter:ur",))
    polish = ingest(runtime, "My GP was slow", needs=("interpreter:pl",))
    neither = ingest(runtime, "My GP was kind")
    client = staff_client("viewer")
    html = page(client)
    assert option(html, "filter-need", "interpreter") == \
        "Spoken-language interpreter (any language) (2)"
    assert option(html, "filter-need", "interpreter:ur") == "Spoken-language interpreter (Urdu) (1)"
    assert option(html, "filter-need", "none") == "No need recorded (1)"
    assert set(references(page(client, "/staff/queue?need=interpreter"))) == {urdu, polish}
    assert references(page(client, "/staff/queue?need=none")) == [neither]


def add_items(runtime: Runtime, ids: list[int], service: str) -> set[str]:
    """Items with the given ids (so the test decides which are in the counting sample)."""
    with runtime.sessions.begin() as session:
        for item in ids:
            feedback = Feedback(id=item, reference=f"FB-{item:06d}", channel="sms", text="t",
                                redacted_text="Synthetic feedback", pipeline_version="test",
                                received_at=FIXED_NOW - timedelta(minutes=item))
            feedback.tags.append(Tag(kind="service", value=service, confidence=1.0, source="auto"))
            session.add(feedback)
    return {f"FB-{item:06d}" for item in ids}


def test_a_view_too_broad_to_count_shows_estimates_and_says_so(
        app: Flask, runtime: Runtime, staff_client: StaffClient) -> None:
    """Three GP items in the counting sample, two pharmacy items outside it: counted over the
    sample, GP has fewer than 780 (three seen: too few to say "about") and pharmacy fewer than
    300 (none seen); every item is still listed."""
    gp = add_items(runtime, list(islice((n for n in count(1) if is_in_sample(n)), 3)), "gp")
    pharmacy = add_items(runtime, [1, 2], "pharmacy")
    client = staff_client("viewer")
    app.config["QUEUE_EXACT_COUNTS_UP_TO"] = 0
    html = page(client)
    assert option(html, "filter-service", "gp") == "GP surgery (fewer than 780)"
    assert option(html, "filter-service", "pharmacy") == "Pharmacy (fewer than 300)"
    assert "Showing 1 to 5 of fewer than 780 items" in html
    assert "estimated from 1 in 100 items" in html
    assert set(references(html)) == gp | pharmacy
    beyond = page(client, "/staff/queue?page=2")     # the estimate promised more pages
    assert references(beyond) == [] and "the number of items is an estimate" in beyond

    app.config["QUEUE_EXACT_COUNTS_UP_TO"] = 10_000
    html = page(client)
    assert option(html, "filter-service", "gp") == "GP surgery (3)"
    assert option(html, "filter-service", "pharmacy") == "Pharmacy (2)"
    assert "Showing 1 to 5 of 5 items" in html and "estimated" not in html
