"""The tracker pages through the test client: who may open and post what, the NHS error summary,
CSRF, audit rows, the rating history, linked feedback and its counts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from intake.bootstrap import Runtime
from intake.staff import tracker as core
from intake.staff.tracker import TrackerDetails
from intake.storage.models import AuditEvent, FeedbackTrackerLink, RagRatingChange, TrackerItem
from tests.conftest import FIXED_NOW
from tests.intake.staff.synthetic_feedback import add_feedback, reference
from tests.webhooks.staff.conftest import csrf_token

StaffClient = Callable[[str], FlaskClient]
RANK = {"viewer": 0, "reviewer": 1, "admin": 2}


def make_item(runtime: Runtime, title: str = "GP phone access", rating: str = "amber",
              services: tuple[str, ...] = ("gp",)) -> int:
    with runtime.sessions.begin() as session:
        item = core.create_item(session, runtime.config, TrackerDetails(title=title, services=services),
                                rating, "", "staff:seed@example.org", FIXED_NOW)
        session.flush()
        return item.id


def post(client: FlaskClient, path: str, data: dict[str, object] | None = None,
         token_from: str = "/staff/account"):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **(data or {})})


def error_summary(page: str) -> list[tuple[str, str]]:
    """The NHS error summary's links: (href, message)."""
    assert "There is a problem" in page
    box = page.split("nhsuk-error-summary__list")[1].split("</ul>")[0]
    return [(href, " ".join(text.split()))
            for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', box, re.S)]


def audit_actions(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        return [(e.action, e.actor) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "tracker_item").order_by(AuditEvent.id))]


# -- who may do what --------------------------------------------------------------------------

# method, path ({id} is an item's id), the least role allowed, what a valid post sends
ROUTES = [
    ("GET", "/staff/tracker", "viewer", {}),
    ("GET", "/staff/tracker?status=active&rating=red", "viewer", {}),
    ("GET", "/staff/tracker/{id}", "viewer", {}),
    ("GET", "/staff/tracker/new", "admin", {}),
    ("POST", "/staff/tracker/new", "admin", {"title": "Another item", "rating": "green"}),
    ("GET", "/staff/tracker/{id}/edit", "admin", {}),
    ("POST", "/staff/tracker/{id}/edit", "admin", {"title": "Renamed", "services": "gp"}),
    ("POST", "/staff/tracker/{id}/status", "admin", {"status": "paused"}),
    ("POST", "/staff/tracker/{id}/rating", "reviewer", {"rating": "red", "note": "Worse"}),
    ("POST", "/staff/tracker/{id}/progress/next_steps", "reviewer", {"next_steps": "Meet"}),
    ("POST", "/staff/tracker/{id}/progress/you_said_we_did", "reviewer", {"you_said_we_did": "We did"}),
    ("POST", "/staff/tracker/{id}/links", "reviewer", {"references": reference(1)}),
    ("POST", f"/staff/tracker/{{id}}/links/{reference(1)}/remove", "reviewer", {}),
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
    item_id = make_item(runtime)
    with runtime.sessions.begin() as session:
        add_feedback(session, 1)
    client = app.test_client() if role == "anonymous" else staff_client(role)
    token = csrf_token(client, "/staff/login" if role == "anonymous" else "/staff/account")
    answered, wanted = {}, {}
    for method, path, least, data in ROUTES:
        path = path.format(id=item_id)
        response = client.get(path) if method == "GET" else client.post(
            path, data={"csrf_token": token, **data})
        answered[f"{method} {path}"] = response.status_code
        wanted[f"{method} {path}"] = expected(role, method, least)
        if role == "anonymous":
            assert "/staff/login" in response.headers["Location"]
    assert answered == wanted
    changes = [a for a, _ in audit_actions(runtime)][1:]    # the first is the seed item
    if role == "admin":
        assert changes == ["tracker.created", "tracker.edited", "tracker.status-changed",
                           "tracker.rated", "tracker.progress-updated", "tracker.progress-updated",
                           "tracker.feedback-linked", "tracker.feedback-unlinked"]
    elif role == "reviewer":
        assert changes == ["tracker.rated", "tracker.progress-updated", "tracker.progress-updated",
                           "tracker.feedback-linked", "tracker.feedback-unlinked"]
    else:
        assert changes == []


def test_an_unknown_item_is_not_found(staff_client: StaffClient) -> None:
    client = staff_client("admin")
    assert client.get("/staff/tracker/999").status_code == 404
    assert post(client, "/staff/tracker/999/rating", {"rating": "red", "note": "x"}).status_code == 404
    assert post(client, "/staff/tracker/999/progress/title", {"title": "x"}).status_code == 404


def test_posts_without_a_csrf_token_change_nothing(runtime: Runtime, staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    client = staff_client("admin")
    response = client.post(f"/staff/tracker/{item_id}/rating", data={"rating": "red", "note": "Worse"})
    assert response.status_code == 400
    assert "Your session has expired" in response.get_data(as_text=True)
    response = client.post("/staff/tracker/new", data={"title": "Sneaky", "rating": "red"})
    assert response.status_code == 400
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TrackerItem)) == 1
        assert session.scalar(select(TrackerItem.rag_rating)) == "amber"


# -- the list ---------------------------------------------------------------------------------

def test_the_list_shows_ratings_as_tags_with_words_and_filters(runtime: Runtime,
                                                               staff_client: StaffClient) -> None:
    make_item(runtime, "Red item", "red")
    make_item(runtime, "Green item", "green")
    client = staff_client("viewer")
    page = client.get("/staff/tracker").get_data(as_text=True)
    assert re.search(r'<strong class="nhsuk-tag nhsuk-tag--red"\s*>\s*Red\s*</strong>', page)
    assert re.search(r'<strong class="nhsuk-tag nhsuk-tag--green"\s*>\s*Green\s*</strong>', page)
    assert page.index("Red item") < page.index("Green item")
    assert 'href="/staff/tracker"' in page                              # in the top navigation
    assert "Add a tracker item" not in page                            # viewers cannot add
    filtered = client.get("/staff/tracker?rating=green").get_data(as_text=True)
    assert "Green item" in filtered and "Red item" not in filtered
    assert "Clear filters" in filtered
    nothing = client.get("/staff/tracker?status=completed").get_data(as_text=True)
    assert "No tracker items match these filters" in nothing
    ignored = client.get("/staff/tracker?rating=purple").get_data(as_text=True)
    assert "Red item" in ignored and "Green item" in ignored


# -- creating and editing -----------------------------------------------------------------------

def test_a_new_item_with_mistakes_shows_the_error_summary_and_keeps_what_was_typed(
        runtime: Runtime, staff_client: StaffClient) -> None:
    client = staff_client("admin")
    response = post(client, "/staff/tracker/new", {
        "title": "", "description": "<script>alert(1)</script>", "services": ["gp", "nonsense"],
        "due_date[day]": "31", "due_date[month]": "2", "due_date[year]": "2027"},
        token_from="/staff/tracker/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: New tracker item" in page
    assert error_summary(page) == [("#title", "Enter a title for the tracker item"),
                                   ("#services", "Choose services from the list"),
                                   ("#due_date-day", "The due date must be a real date"),
                                   ("#rating", "Choose red, amber or green")]
    assert 'id="due_date-day"' in page and 'id="rating"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert 'value="31"' in page
    with runtime.sessions() as session:
        assert session.scalar(select(TrackerItem.id)) is None


def test_an_admin_creates_and_edits_an_item(runtime: Runtime, staff_client: StaffClient) -> None:
    client = staff_client("admin")
    response = post(client, "/staff/tracker/new", {
        "title": "Interpreters at the hospital", "services": ["hospital-outpatients"],
        "owner": "Acute team", "start_date[day]": "1", "start_date[month]": "9",
        "start_date[year]": "2026", "rating": "red", "note": "No Urdu interpreters booked"})
    assert response.status_code == 302
    item_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The tracker item has been created." in page
    assert "Hospital outpatients" in page and "1 September 2026" in page
    assert "No Urdu interpreters booked" in page
    response = post(client, f"/staff/tracker/{item_id}/edit", {
        "title": "Interpreters at the hospital", "services": ["hospital-outpatients"],
        "owner": "Acute team", "start_date[day]": "1", "start_date[month]": "9",
        "start_date[year]": "2026", "due_date[day]": "1", "due_date[month]": "8",
        "due_date[year]": "2026"})
    assert response.status_code == 400
    assert error_summary(response.get_data(as_text=True)) == [
        ("#due_date-day", "The due date must be the same as or after the start date")]
    response = post(client, f"/staff/tracker/{item_id}/edit", {
        "title": "Interpreters in outpatients", "services": ["hospital-outpatients"],
        "owner": "Acute team", "start_date[day]": "1", "start_date[month]": "9",
        "start_date[year]": "2026"})
    assert response.status_code == 302
    assert audit_actions(runtime) == [("tracker.created", "staff:admin@example.org"),
                                      ("tracker.edited", "staff:admin@example.org")]
    with runtime.sessions() as session:
        item = session.get_one(TrackerItem, item_id)
        assert (item.title, item.owner, item.services) == (
            "Interpreters in outpatients", "Acute team", ["hospital-outpatients"])


def test_closing_and_reopening_an_item(runtime: Runtime, staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    client = staff_client("admin")
    assert post(client, f"/staff/tracker/{item_id}/status", {"status": "completed"}).status_code == 302
    page = client.get(f"/staff/tracker/{item_id}").get_data(as_text=True)
    assert "The item is now completed." in page and "2 November 2026" in page
    assert "Make active again" in page and "Mark as completed" not in page
    assert post(client, f"/staff/tracker/{item_id}/status", {"status": "deleted"}).status_code == 400
    assert post(client, f"/staff/tracker/{item_id}/status", {"status": "active"}).status_code == 302
    with runtime.sessions() as session:
        assert session.get_one(TrackerItem, item_id).completed_date is None


# -- keeping an item current (reviewers) ---------------------------------------------------------

def test_ratings_need_a_note_and_are_all_kept_in_the_history(runtime: Runtime,
                                                             staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    client = staff_client("reviewer")
    response = post(client, f"/staff/tracker/{item_id}/rating", {"rating": "red", "note": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_summary(page) == [("#note", "Enter a note saying why the item has this rating")]
    assert re.search(r'<input class="nhsuk-radios__input" id="rating-2" name="rating" type="radio" '
                     r'value="amber"', page)
    assert post(client, f"/staff/tracker/{item_id}/rating",
                {"rating": "red", "note": "Waits got longer"}).status_code == 302
    assert post(client, f"/staff/tracker/{item_id}/rating",
                {"rating": "green", "note": "Call-backs work"}).status_code == 302
    page = client.get(f"/staff/tracker/{item_id}").get_data(as_text=True)
    history = page.split('id="rating-history"')[1].split("</table>")[0]
    assert history.index("Call-backs work") < history.index("Waits got longer") < history.index(
        "First rating")
    assert "reviewer@example.org" in history
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RagRatingChange)) == 3
        assert session.get_one(TrackerItem, item_id).rag_rating == "green"
    assert [a for a in audit_actions(runtime) if a[0] == "tracker.rated"] == [
        ("tracker.rated", "staff:reviewer@example.org")] * 2


def test_progress_texts_are_saved_one_at_a_time(runtime: Runtime, staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    client = staff_client("reviewer")
    assert post(client, f"/staff/tracker/{item_id}/progress/expected_impact",
                {"expected_impact": "Fewer calls at 8am"}).status_code == 302
    response = post(client, f"/staff/tracker/{item_id}/progress/next_steps",
                    {"next_steps": "x" * 10_001})
    assert response.status_code == 400
    assert error_summary(response.get_data(as_text=True)) == [
        ("#next_steps", "Next steps must be 10,000 characters or fewer")]
    viewer = staff_client("viewer").get(f"/staff/tracker/{item_id}").get_data(as_text=True)
    assert "Fewer calls at 8am" in viewer
    assert "Update rating" not in viewer and "Link feedback" not in viewer
    assert 'name="expected_impact"' not in viewer


# -- linked feedback -----------------------------------------------------------------------------

def test_linked_feedback_is_counted_by_service_language_and_need(runtime: Runtime,
                                                                 staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    with runtime.sessions.begin() as session:
        item = session.get_one(TrackerItem, item_id)
        add_feedback(session, 1, services=["gp"], language="ur", needs=["interpreter:ur"], tracker=item,
                     text="The GP <b>never</b> had an interpreter")
        add_feedback(session, 2, services=["gp", "pharmacy"], language="en", tracker=item)
        add_feedback(session, 3, services=["dental"], language="pl")          # not linked
    page = staff_client("viewer").get(f"/staff/tracker/{item_id}").get_data(as_text=True)
    assert "2 feedback items linked to this item" in page

    def table(name: str) -> list[tuple[str, str]]:
        body = page.split(f'id="{name}"')[1].split("</table>")[0]
        cells = re.findall(r'<td class="nhsuk-table__cell[^"]*">(.*?)</td>', body, re.S)
        return [(re.sub(r"<[^>]+>", "", a).strip(), b.strip()) for a, b in zip(cells[::2], cells[1::2],
                                                                               strict=True)]
    assert table("by-service") == [("GP surgery", "2"), ("Pharmacy", "1")]
    assert table("by-language") == [("English", "1"), ("Urdu", "1")]
    assert table("by-need") == [("Spoken-language interpreter (Urdu)", "1"), ("No need recorded", "1")]
    assert "The GP &lt;b&gt;never&lt;/b&gt; had an interpreter" in page


def test_counts_link_to_the_queue_filtered_by_this_item_when_the_queue_exists(
        app: Flask, runtime: Runtime, staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    with runtime.sessions.begin() as session:
        add_feedback(session, 1, services=["gp"], tracker=session.get_one(TrackerItem, item_id))
    client = staff_client("viewer")
    app.view_functions.pop("staff.queue", None)
    app.view_functions.pop("staff.item", None)
    page = client.get(f"/staff/tracker/{item_id}").get_data(as_text=True)
    assert "see them in the queue" not in page and "/staff/feedback/" not in page
    if "staff.queue" not in {rule.endpoint for rule in app.url_map.iter_rules()}:
        app.url_map.add(Rule("/staff/queue", endpoint="staff.queue"))
        app.url_map.add(Rule("/staff/feedback/<reference>", endpoint="staff.item"))
    app.view_functions["staff.queue"] = app.view_functions["staff.item"] = lambda **_: "queue"
    page = client.get(f"/staff/tracker/{item_id}").get_data(as_text=True)
    assert f'href="/staff/queue?tracker={item_id}"' in page
    assert f'href="/staff/queue?tracker={item_id}&amp;service=gp"' in page
    assert f'href="/staff/feedback/{reference(1)}"' in page


def test_feedback_is_linked_and_unlinked_by_reference(runtime: Runtime,
                                                      staff_client: StaffClient) -> None:
    item_id = make_item(runtime)
    with runtime.sessions.begin() as session:
        add_feedback(session, 1)
        add_feedback(session, 2)
    client = staff_client("reviewer")
    response = post(client, f"/staff/tracker/{item_id}/links",
                    {"references": f"{reference(1).lower()}\n{reference(2)}, {reference(9)}, hello"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 feedback items linked." in page
    assert f"No feedback has the reference {reference(9)}." in page
    assert "These are not feedback references: hello." in page
    assert "2 feedback items linked to this item" in page
    response = post(client, f"/staff/tracker/{item_id}/links", {"references": "  "})
    assert response.status_code == 400
    assert error_summary(response.get_data(as_text=True)) == [
        ("#references", "Enter one or more feedback references, like FB-7K3M9Q")]
    assert post(client, f"/staff/tracker/{item_id}/links/{reference(1)}/remove").status_code == 302
    with runtime.sessions() as session:
        links = session.scalars(select(FeedbackTrackerLink)).all()
        assert [(link.linked_by, link.rule_id) for link in links] == [("staff:reviewer@example.org", None)]
    assert [a for a, _ in audit_actions(runtime)][1:] == ["tracker.feedback-linked",
                                                          "tracker.feedback-unlinked"]
