"""The public pages through Flask's test client, on both databases: what people see, what a post
does, and what is stored."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.storage.base import Base
from intake.storage.models import (
    ConsentRecord,
    Consultation,
    ConsultationStatus,
    ContactAddress,
    Feedback,
    FeedbackConsultationLink,
    InboundMessage,
    InboundState,
    RecordedNeed,
)
from tests.conftest import FIXED_NOW
from webhooks import create_app
from webhooks.forms.routes import OFFERED_NEEDS

from .conftest import Page, active_tags, feedback_by_reference, get, open_form

SERVICE_NAME = "Tell us about a health service"
GOOD_ANSWERS: dict[str, Any] = {
    "about": "someone", "service": "gp", "fft": "poor", "needs": ["bsl-interpreter"],
    "interpreter": "", "contact": "sms", "phone": "07700 900 123",
    "what": "My dad is deaf and the GP surgery would not book a BSL interpreter for him.",
}
CONSULTATION_QUESTION = ("Tell us about your maternity care. What went well, and what could be "
                         "better?")


def post(client: FlaskClient, path: str = "/feedback", token: str | None = None,
         submission: str | None = None, **answers: Any) -> Page:
    """POST the form as a browser would, after GETting it for its hidden fields."""
    if token is None or submission is None:
        fresh_token, fresh_submission = open_form(client, path)
        token = fresh_token if token is None else token
        submission = fresh_submission if submission is None else submission
    data = {"csrf_token": token, "submission": submission, **answers}
    return Page.of(client.post(path, data=data))


def send(client: FlaskClient, path: str = "/feedback", **answers: Any) -> str:
    """Send a valid form; returns the reference the confirmation page shows."""
    response = client.post(path, data=form_data(client, path, **answers))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == "/feedback/confirmation"
    page = get(client, "/feedback/confirmation")
    reference = page.reference()
    assert reference is not None, page.main.text
    return reference


def form_data(client: FlaskClient, path: str = "/feedback", **answers: Any) -> dict[str, Any]:
    token, submission = open_form(client, path)
    return {"csrf_token": token, "submission": submission, **GOOD_ANSWERS, **answers}


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_nhs_layout(page: Page) -> None:
    assert page.root.one("header", cls="nhsuk-header").find(cls="nhsuk-header__service-name").text \
        == SERVICE_NAME
    assert page.root.one("a", cls="nhsuk-skip-link").attrs["href"] == "#maincontent"
    assert page.root.find("link", rel="stylesheet",
                          href="/static/nhsuk-frontend/nhsuk-frontend-10.6.1.min.css") is not None
    assert page.root.find("footer") is not None
    assert page.root.one("nav", cls="intake-language-bar")
    assert page.title.endswith(f" – {SERVICE_NAME} – NHS")


def seed(runtime: Runtime) -> int:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    with runtime.sessions() as session:
        consultation_id = session.scalar(
            select(Consultation.id).where(Consultation.slug == DEMO_CONSULTATION_SLUG))
    assert consultation_id is not None
    return consultation_id


# -- pages -----------------------------------------------------------------------------------
def test_start_page(client: FlaskClient) -> None:
    page = get(client, "/")
    assert page.status == 200
    assert_nhs_layout(page)
    assert (page.html_element.attrs["lang"], page.html_element.attrs["dir"]) == ("en", "ltr")
    assert page.h1 == "Tell us about a health service"
    assert page.title == f"Tell us about a health service – {SERVICE_NAME} – NHS"
    start = page.main.one("a", cls="nhsuk-button")
    assert (start.text, start.attrs["href"]) == ("Start now", "/feedback")
    switcher = page.root.one("nav", cls="intake-language-bar")
    assert {a.attrs["hreflang"]: a.attrs["href"] for a in switcher.find_all("a")
            if "hreflang" in a.attrs} == {"pl": "/?lang=pl", "ur": "/?lang=ur"}
    assert switcher.one("strong", aria_current="true").text == "English"
    assert switcher.one("a", href="/?easy=1").text == "Easy Read version"


def test_the_feedback_form(client: FlaskClient, runtime: Runtime) -> None:
    page = get(client, "/feedback")
    assert page.status == 200
    assert_nhs_layout(page)
    assert page.title == f"Your feedback – {SERVICE_NAME} – NHS"
    assert page.root.find(cls="nhsuk-error-summary") is None
    form = page.main.one("form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", "/feedback")
    assert "novalidate" in form.attrs
    assert page.field("csrf_token")
    assert re.fullmatch(r"[0-9a-f]{32}", page.field("submission"))
    honeypot = page.root.by_id("website")
    assert honeypot.parent is not None and "hidden" in honeypot.parent.attrs
    assert honeypot.attrs["tabindex"] == "-1"

    def values(name: str) -> list[str]:
        return [e.attrs["value"] for e in form.find_all("input", name=name)]

    assert values("about") == ["me", "someone"]
    services = values("service")
    assert services[-2:] == ["other", "not-sure"]
    assert set(services[:-2]) == {s.id for s in runtime.config.services} - {"other"}
    assert values("fft") == ["very-good", "good", "neither-good-nor-poor", "poor", "very-poor",
                             "dont-know"]
    assert values("needs") == list(OFFERED_NEEDS)
    assert values("contact") == ["sms", "email", "no"]
    assert form.by_id("about").attrs["value"] == "me"  # the error summary links to the first radio
    assert form.by_id("contact").attrs["value"] == "sms"
    textarea = form.one("textarea", name="what")
    assert textarea.attrs["id"] == "what"
    assert form.one("label", for_="what").text == "What happened, or what could be better?"
    interpreter = [o.attrs["value"] for o in form.one("select", name="interpreter").find_all("option")]
    assert interpreter[0] == ""
    assert set(interpreter[1:]) == {e.language for e in runtime.config.needs.interpreter_languages}
    phone = form.by_id("phone")
    assert (phone.attrs["type"], phone.attrs["autocomplete"]) == ("tel", "tel")
    email = form.by_id("email")
    assert (email.attrs["type"], email.attrs["autocomplete"]) == ("email", "email")
    assert page.links()["privacy notice"] == "/privacy"
    assert form.one("button").text == "Send feedback"


def test_privacy_notice(client: FlaskClient) -> None:
    page = get(client, "/privacy")
    assert page.status == 200
    assert_nhs_layout(page)
    assert page.h1 == "Privacy notice"
    assert "Contact details are kept encrypted" in page.main.text


@pytest.mark.parametrize("path", ["/no-such-page", "/feedback/nope", "/feedback/c/no-such-consultation"])
def test_not_found_is_a_friendly_nhs_page(client: FlaskClient, path: str) -> None:
    page = get(client, path)
    assert page.status == 404
    assert_nhs_layout(page)
    assert page.h1 == "Page not found"
    assert "If you typed the web address, check it is correct." in page.main.text
    assert page.links() == {SERVICE_NAME: "/"}


def test_the_nhs_favicon_and_the_script_are_served(client: FlaskClient) -> None:
    icon = client.get("/assets/images/favicon.svg")
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    script = client.get("/static/init.js")
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert b"initAll()" in script.data
    page = get(client, "/")
    assert page.root.one("script", type="module").attrs["src"] == "/static/init.js"


# -- language and Easy Read ------------------------------------------------------------------
def test_the_language_switcher_sets_lang_and_direction_and_is_remembered(client: FlaskClient) -> None:
    page = get(client, "/?lang=ur")
    assert (page.html_element.attrs["lang"], page.html_element.attrs["dir"]) == ("ur", "rtl")
    assert page.h1 == "کسی صحت سروس کے بارے میں ہمیں بتائیں"
    current = page.root.one("nav", cls="intake-language-bar").one("strong", aria_current="true")
    assert (current.attrs["lang"], current.attrs["dir"], current.text) == ("ur", "rtl", "اردو")

    page = get(client, "/feedback")
    assert (page.html_element.attrs["lang"], page.html_element.attrs["dir"]) == ("ur", "rtl")
    assert page.h1 == "آپ کی رائے"
    assert page.main.one("button").text == "رائے بھیجیں"
    assert page.root.find("a", href="/feedback?easy=1") is None  # Easy Read is English only

    page = get(client, "/privacy?lang=xx")  # an unknown language changes nothing
    assert page.html_element.attrs["lang"] == "ur"

    page = get(client, "/feedback?lang=pl")
    assert (page.html_element.attrs["lang"], page.html_element.attrs["dir"]) == ("pl", "ltr")
    assert page.h1 == "Twoja opinia"
    page = get(client, "/feedback?lang=en")
    assert (page.html_element.attrs["lang"], page.html_element.attrs["dir"]) == ("en", "ltr")
    assert page.h1 == "Your feedback"


def test_easy_read_switches_on_and_off(client: FlaskClient) -> None:
    page = get(client, "/feedback?easy=1")
    assert page.root.by_id("about").parent is not None
    assert "Who is this about?" in page.main.text
    assert "Someone I look after" in page.main.text
    assert page.main.one("button").text == "Send"
    assert page.root.one("a", href="/feedback?easy=0").text == "Standard version"

    page = get(client, "/")  # remembered
    assert page.h1 == "Tell us about a health service"
    assert "Tell us what was good. Tell us what was bad." in page.main.text

    page = get(client, "/feedback?easy=0")
    assert "Who is this feedback about?" in page.main.text
    assert "Who is this about?" not in page.main.text
    assert page.main.one("button").text == "Send feedback"
    assert page.root.one("a", href="/feedback?easy=1").text == "Easy Read version"


# -- errors ----------------------------------------------------------------------------------
def test_missing_answers_show_the_nhs_error_pattern_and_keep_what_was_typed(
        client: FlaskClient, runtime: Runtime) -> None:
    token, submission = open_form(client)
    page = post(client, token=token, submission=submission, what="   ", fft="poor",
                needs=["bsl-interpreter", "large-print"], interpreter="ur", phone="07700 900 123",
                email="name@example.com")
    assert page.status == 400
    assert page.title.startswith("Error: ")
    assert page.title == f"Error: Your feedback – {SERVICE_NAME} – NHS"
    summary = page.root.one(cls="nhsuk-error-summary")
    assert summary.one("h2").text == "There is a problem"
    messages = [("#about", "Select who the feedback is about"),
                ("#service", "Select the service, or select I'm not sure"),
                ("#what", "Enter what happened or what could be better"),
                ("#contact", "Select whether we may contact you")]
    assert page.error_summary() == messages
    assert page.inline_errors() == {href[1:]: text for href, text in messages}
    # the summary is above the heading, and each link's target exists
    order = [e for e in page.main.iter() if e.tag == "h1" or "nhsuk-error-summary" in e.classes]
    assert "nhsuk-error-summary" in order[0].classes
    for href, _ in messages:
        assert page.root.by_id(href[1:]).tag == ("textarea" if href == "#what" else "input")
    assert len(page.main.find_all(cls="nhsuk-form-group--error")) == 4
    # what was typed is kept, including the same submission id (a resend is still one item)
    assert page.field("submission") == submission
    assert page.checked("fft") == ["poor"]
    assert page.checked("needs") == ["bsl-interpreter", "large-print"]
    assert page.selected("interpreter") == "ur"
    assert page.field("phone") == "07700 900 123"
    assert page.field("email") == "name@example.com"
    assert count(runtime, Feedback) == 0


def test_typed_text_and_choices_are_kept_when_another_answer_is_wrong(client: FlaskClient) -> None:
    words = "The receptionist said 'come back tomorrow' again & again.\nThen she hung up."
    page = post(client, about="someone", service="gp", what=words, contact="sms", phone="0113 496 0000")
    assert page.status == 400
    assert page.error_summary() == [("#phone", "Enter a UK mobile number, like 07700 900 982")]
    assert page.inline_errors() == {"phone": "Enter a UK mobile number, like 07700 900 982"}
    assert page.root.by_id("what").raw_text.strip() == words
    assert page.checked("about") == ["someone"]
    assert page.checked("service") == ["gp"]
    assert page.checked("contact") == ["sms"]
    assert page.field("phone") == "0113 496 0000"


def test_errors_follow_the_page_language(client: FlaskClient) -> None:
    get(client, "/?lang=ur")
    page = post(client)
    assert page.status == 400
    assert page.title.startswith("خرابی: ")
    assert page.root.one(cls="nhsuk-error-summary").one("h2").text == "ایک مسئلہ ہے"
    assert [href for href, _ in page.error_summary()] == ["#about", "#service", "#what", "#contact"]
    assert page.error_summary()[0][1] == "منتخب کریں کہ یہ رائے کس کے بارے میں ہے"


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_post_without_a_valid_csrf_token_says_the_form_expired(
        client: FlaskClient, runtime: Runtime, token: str | None) -> None:
    _, submission = open_form(client)
    data = {**GOOD_ANSWERS, "submission": submission}
    if token is not None:
        data["csrf_token"] = token
    page = Page.of(client.post("/feedback", data=data))
    assert page.status == 400
    assert page.title.startswith("Error: ")
    expired = "The form expired. Please send it again."
    assert page.error_summary() == [("#what", expired)]
    assert page.inline_errors() == {"what": expired}
    assert page.root.by_id("what").raw_text.strip() == GOOD_ANSWERS["what"]
    assert page.checked("about") == ["someone"]
    assert page.field("phone") == "07700 900 123"
    assert page.field("csrf_token")  # a fresh token, so sending again works
    assert count(runtime, Feedback) == 0 and count(runtime, InboundMessage) == 0
    resent = client.post("/feedback", data={**data, "csrf_token": page.field("csrf_token")})
    assert resent.status_code == 302


@pytest.mark.parametrize("token", ["valid", "missing"])
def test_typed_text_is_escaped_when_the_form_is_shown_again(client: FlaskClient, token: str) -> None:
    attack = '</textarea><script>alert("xss")</script><textarea>'
    data = {"what": attack, "contact": "sms", "phone": '"><script>alert("phone")</script>'}
    if token == "valid":
        data["csrf_token"], data["submission"] = open_form(client)
    page = Page.of(client.post("/feedback", data=data))
    assert page.status == 400
    assert [s.raw_text for s in page.root.find_all("script") if "alert" in s.raw_text] == []
    assert "<script>alert" not in page.html
    assert page.root.by_id("what").raw_text.strip() == attack


# -- a good submission -----------------------------------------------------------------------
def test_a_valid_post_becomes_tagged_feedback_with_a_reference(
        client: FlaskClient, runtime: Runtime) -> None:
    response = client.post("/feedback", data=form_data(client))
    assert response.status_code == 302
    assert response.headers["Location"] == "/feedback/confirmation"
    page = get(client, "/feedback/confirmation")
    assert page.status == 200
    assert page.title == f"Feedback sent – {SERVICE_NAME} – NHS"
    panel = page.main.one(cls="nhsuk-panel")
    reference = page.reference()
    assert reference is not None and reference in panel.text
    assert "Your reference number" in panel.text
    assert page.links() == {"Tell us about something else": "/feedback"}

    feedback = feedback_by_reference(runtime, reference)
    assert feedback.channel == "web"
    assert feedback.on_behalf_of is True
    assert feedback.fft_rating == "poor"
    assert feedback.text == GOOD_ANSWERS["what"]
    tags = active_tags(feedback)
    assert ("gp", None, "contributor") in [(v, None, s) for v, _, s in tags["service"]]
    assert ("bsl-interpreter", "204331000000107", "contributor") in tags["need"]
    assert [value for value, _, _ in tags["language"]] == ["en"]


def test_the_phone_number_is_stored_only_encrypted_with_a_follow_up_consent(
        client: FlaskClient, runtime: Runtime) -> None:
    reference = send(client)
    feedback = feedback_by_reference(runtime, reference)
    vault = runtime.intake.vault
    with runtime.sessions() as session:
        [address] = session.scalars(select(ContactAddress)).all()
        assert address.channel == "sms"
        assert address.contributor_id == feedback.contributor_id is not None
        assert vault.decrypt(address.address_encrypted) == "+447700900123"
        assert address.address_hash == vault.lookup_hash("sms", "+447700900123")
        [consent] = session.scalars(select(ConsentRecord)).all()
        assert (consent.purpose, consent.granted, consent.wording_version, consent.channel) == (
            "follow-up", True, "2026-11-web-en-1", "web")
        assert consent.contributor_id == feedback.contributor_id
        assert consent.inbound_message_id == feedback.inbound_message_id
        # needs told for someone else are the patient's, not recorded against the carer
        assert session.scalars(select(RecordedNeed)).all() == []
        cells = [str(value) for table in Base.metadata.sorted_tables
                 for row in session.execute(select(table)) for value in row]
    for clear in ("7700900123", "7700 900 123", "7700 900123", "900123"):
        assert not [cell for cell in cells if clear in cell], f"{clear!r} stored in clear"


def test_about_me_records_the_need_against_the_person(client: FlaskClient, runtime: Runtime) -> None:
    send(client, about="me", contact="email", email="patient@example.com", phone="")
    with runtime.sessions() as session:
        [address] = session.scalars(select(ContactAddress)).all()
        assert address.channel == "email"
        [need] = session.scalars(select(RecordedNeed)).all()
        assert (need.need, need.code, need.source) == ("bsl-interpreter", "204331000000107",
                                                       "contributor")


def test_declining_contact_stores_no_address(client: FlaskClient, runtime: Runtime) -> None:
    reference = send(client, contact="no", phone="07700 900 123")
    assert feedback_by_reference(runtime, reference).contributor_id is None
    assert count(runtime, ContactAddress) == 0


def test_an_interpreter_language_is_tagged(client: FlaskClient, runtime: Runtime) -> None:
    reference = send(client, needs=["interpreter"], interpreter="ur", contact="no")
    needs = active_tags(feedback_by_reference(runtime, reference))["need"]
    assert ("interpreter:ur", "204211000000109", "contributor") in needs
    assert "interpreter" not in [value for value, _, _ in needs]


def test_sending_the_same_submission_twice_makes_one_item(client: FlaskClient, runtime: Runtime) -> None:
    data = form_data(client)
    first = client.post("/feedback", data=data)
    assert first.status_code == 302
    reference = get(client, "/feedback/confirmation").reference()
    second = client.post("/feedback", data=data)
    assert second.status_code == 302
    assert get(client, "/feedback/confirmation").reference() == reference is not None
    assert count(runtime, Feedback) == 1
    assert count(runtime, InboundMessage) == 1
    other = form_data(client)  # a new form is a new submission
    assert client.post("/feedback", data=other).status_code == 302
    assert get(client, "/feedback/confirmation").reference() != reference
    assert count(runtime, Feedback) == 2


def test_the_honeypot_keeps_the_message_but_makes_no_feedback(
        client: FlaskClient, runtime: Runtime) -> None:
    data = form_data(client, website="https://spam.example")
    response = client.post("/feedback", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/feedback/confirmation"
    page = get(client, "/feedback/confirmation")
    assert page.status == 200
    assert page.h1 == "Feedback sent"
    assert page.reference() is None
    assert page.main.find(cls="nhsuk-panel") is None
    assert count(runtime, Feedback) == 0
    with runtime.sessions() as session:
        [inbound] = session.scalars(select(InboundMessage)).all()
    assert inbound.channel == "web"
    assert inbound.provider_message_id == f"web-{data['submission']}"
    assert inbound.state == InboundState.IGNORED
    assert inbound.error is not None and "honeypot" in inbound.error


def test_a_reference_from_an_earlier_submission_is_not_shown_after_the_honeypot(
        client: FlaskClient) -> None:
    send(client)
    client.post("/feedback", data=form_data(client, website="x"))
    assert get(client, "/feedback/confirmation").reference() is None


# -- consultations ---------------------------------------------------------------------------
def test_a_consultation_form_asks_its_own_question_and_links_the_feedback(
        client: FlaskClient, runtime: Runtime) -> None:
    consultation_id = seed(runtime)
    path = f"/feedback/c/{DEMO_CONSULTATION_SLUG}"
    page = get(client, path)
    assert page.status == 200
    assert page.main.one("form").attrs["action"] == path
    assert page.main.one("label", for_="what").text == CONSULTATION_QUESTION
    caption = page.main.one(cls="nhsuk-caption-l").text
    assert caption == "Consultation: Maternity services: what matters to you"

    reference = send(client, path, service="not-sure", needs=[], contact="no",
                     what="The staff listened to us and explained everything clearly.")
    feedback = feedback_by_reference(runtime, reference)
    assert feedback.consultation_id == consultation_id
    with runtime.sessions() as session:
        rules = set(session.scalars(select(FeedbackConsultationLink.rule_id).where(
            FeedbackConsultationLink.feedback_id == feedback.id,
            FeedbackConsultationLink.consultation_id == consultation_id)))
    assert "consultation-entry-point" in rules


def test_a_consultation_question_is_asked_in_the_page_language(
        client: FlaskClient, runtime: Runtime) -> None:
    seed(runtime)
    page = get(client, f"/feedback/c/{DEMO_CONSULTATION_SLUG}?lang=ur")
    assert page.main.one("label", for_="what").text == (
        "اپنی زچگی کی دیکھ بھال کے بارے میں بتائیں۔ کیا اچھا رہا، اور کیا بہتر ہو سکتا ہے؟")
    page = get(client, f"/feedback/c/{DEMO_CONSULTATION_SLUG}?easy=1&lang=en")
    assert page.main.one("label", for_="what").text == CONSULTATION_QUESTION


@pytest.mark.parametrize("change", [
    {"status": ConsultationStatus.CLOSED},
    {"status": ConsultationStatus.REPORTED},
    {"closes_at": FIXED_NOW - timedelta(minutes=1)},
    {"closes_at": FIXED_NOW},
], ids=["status-closed", "status-reported", "closes-at-past", "closes-at-now"])
def test_a_closed_consultation_points_to_the_general_form(
        client: FlaskClient, runtime: Runtime, change: dict[str, Any]) -> None:
    consultation_id = seed(runtime)
    with runtime.sessions.begin() as session:
        consultation = session.get_one(Consultation, consultation_id)
        for key, value in change.items():
            setattr(consultation, key, value)
    path = f"/feedback/c/{DEMO_CONSULTATION_SLUG}"
    page = get(client, path)
    assert page.status == 200
    assert_nhs_layout(page)
    assert page.h1 == "This consultation is closed"
    assert page.title.startswith("This consultation is closed – ")
    assert page.main.find("form") is None
    assert page.links() == {"Give general feedback": "/feedback"}
    token, submission = open_form(client)  # a token from the general form
    page = post(client, path, token=token, submission=submission, **GOOD_ANSWERS)
    assert page.h1 == "This consultation is closed"
    assert count(runtime, Feedback) == 0


def test_an_unknown_consultation_is_not_found(client: FlaskClient, runtime: Runtime) -> None:
    seed(runtime)
    page = get(client, "/feedback/c/maternity-services-2025")
    assert page.status == 404
    assert page.h1 == "Page not found"


# -- limits ----------------------------------------------------------------------------------
def test_the_form_is_rate_limited_per_address_with_a_friendly_page(runtime: Runtime) -> None:
    app = create_app({"TESTING": True, "FEEDBACK_RATE_LIMIT": "2 per minute"}, runtime=runtime)
    client = app.test_client()
    assert post(client).status == 400
    assert post(client).status == 400
    page = post(client)
    assert page.status == 429
    assert_nhs_layout(page)
    assert page.h1 == "You have sent a lot of feedback in a short time"
    assert "Please wait a few minutes and try again." in page.main.text
    assert get(client, "/feedback").status == 200  # reading the form is not limited
    other = app.test_client()
    response = other.post("/feedback", data={}, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert response.status_code == 400  # another address has its own allowance


def test_a_body_over_the_limit_gets_a_friendly_page(client: FlaskClient, runtime: Runtime) -> None:
    data = form_data(client, what="x" * (2 * 1024 * 1024))
    page = Page.of(client.post("/feedback", data=data))
    assert page.status == 413
    assert_nhs_layout(page)
    assert page.h1 == "Your feedback was too large to send"
    assert "Please make it shorter and try again." in page.main.text
    assert count(runtime, InboundMessage) == 0


# -- translation of the NHS.UK components' own words ---------------------------------------
@pytest.mark.parametrize("language", ["ur", "pl"])
def test_translated_pages_have_no_english_component_text(client: FlaskClient, language: str) -> None:
    get(client, f"/feedback?lang={language}")
    page = post(client, contact="sms")
    assert page.status == 400
    hidden = {e.text for e in page.main.find_all("span", cls="nhsuk-u-visually-hidden")}
    assert "Error:" not in hidden
    assert "You can enter up to" not in page.root.by_id("what-info").text
