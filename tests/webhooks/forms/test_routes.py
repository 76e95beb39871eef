"""The public routes' own contract, beyond the pages tested in test_pages.py: a consultation not
open yet, the confirmation page with nothing sent, a message the pipeline refuses, the friendly 500
page, the choices remembered from links, the order of the service answers, and the privacy
sentence's link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.storage.models import AuditEvent, Consultation, Feedback, InboundMessage, InboundState
from tests.conftest import FIXED_NOW
from tests.webhooks.forms.test_pages import CONSULTATION_QUESTION, count, form_data, seed
from webhooks import create_app
from webhooks.forms.routes import _privacy_sentence
from webhooks.forms.submission import NOT_SURE
from webhooks.forms.text import PageText, page_text

from .conftest import Page, get

NO_WORDS = "The message has no words in it. Please tell us what happened or what could be better."


def test_a_consultation_that_has_not_opened_yet_takes_no_feedback(
        client: FlaskClient, runtime: Runtime) -> None:
    consultation_id = seed(runtime)
    with runtime.sessions.begin() as session:
        session.get_one(Consultation, consultation_id).opens_at = FIXED_NOW + timedelta(days=1)
    path = "/feedback/c/maternity-services-2026"
    page = get(client, path)
    assert page.status == 200
    assert page.h1 == "This consultation is closed"
    assert page.main.find("form") is None
    response = client.post(path, data=form_data(client))
    assert Page.of(response).h1 == "This consultation is closed"
    assert count(runtime, Feedback) == 0 and count(runtime, InboundMessage) == 0


def test_an_open_consultation_asks_its_question(client: FlaskClient, runtime: Runtime) -> None:
    seed(runtime)
    page = get(client, "/feedback/c/maternity-services-2026")
    assert page.status == 200
    assert page.main.one("label", for_="what").text == CONSULTATION_QUESTION
    assert page.main.one("form").attrs["action"] == "/feedback/c/maternity-services-2026"


def test_the_confirmation_page_with_nothing_sent_shows_no_reference_and_records_nothing(
        client: FlaskClient, runtime: Runtime) -> None:
    page = get(client, "/feedback/confirmation")
    assert page.status == 200
    assert page.reference() is None
    assert page.root.find(cls="nhsuk-care-card") is None
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_a_message_the_pipeline_refuses_is_shown_again_with_its_reason(
        client: FlaskClient, runtime: Runtime) -> None:
    """Control characters pass the form's own check but leave no words once cleaned."""
    data = form_data(client, what="\x01\x02\x03", service=NOT_SURE, fft="", needs=[])
    page = Page.of(client.post("/feedback", data=data))
    assert page.status == 400
    assert page.error_summary() == [("#what", NO_WORDS)]
    assert page.field("submission") == data["submission"]  # sending again is the same submission
    assert count(runtime, Feedback) == 0
    with runtime.sessions() as session:
        assert session.scalars(select(InboundMessage.state)).all() == [InboundState.REJECTED]


def test_an_unexpected_error_is_the_friendly_500_page_in_the_page_language(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False}, runtime=runtime)
    client = app.test_client()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(runtime.intake, "ingest", broken)
    page = Page.of(client.post("/feedback", data=form_data(client)))
    assert page.status == 500
    assert page.h1 == "Sorry, there is a problem with the service"
    assert "the disk is full" not in page.html
    assert page.links() == {"Tell us about a health service": "/"}
    get(client, "/?lang=pl")
    polish = Page.of(client.post("/feedback", data=form_data(client)))
    assert polish.status == 500
    assert polish.html_element.attrs["lang"] == "pl"
    assert polish.h1 == page_text("pl")("error_heading")


def test_easy_read_changes_only_for_0_or_1(client: FlaskClient) -> None:
    for easy in ("yes", "true", "", "2"):
        get(client, "/?easy=1")
        assert get(client, f"/feedback?easy={easy}").main.one("button").text == "Send", easy
        get(client, "/?easy=0")
        assert get(client, f"/feedback?easy={easy}").main.one("button").text == "Send feedback"


def test_easy_read_is_offered_in_english_only(client: FlaskClient) -> None:
    assert get(client, "/feedback").root.find("a", href="/feedback?easy=1") is not None
    page = get(client, "/feedback?lang=pl")
    assert page.root.find("a", href="/feedback?lang=pl&easy=1") is None


def test_services_are_offered_by_name_then_other_then_not_sure(
        client: FlaskClient, runtime: Runtime) -> None:
    page = get(client, "/feedback")
    values = [e.attrs["value"] for e in page.main.one("form").find_all("input", name="service")]
    named = sorted((s for s in runtime.config.services if s.id != "other"), key=lambda s: s.name)
    assert values == [s.id for s in named] + ["other", NOT_SURE]


# -- the privacy sentence -----------------------------------------------------------------------

def text_with(sentence: str, words: str) -> PageText:
    return PageText("en", False, {}, {"text": {"privacy_notice": sentence, "privacy_link": words}})


def test_the_privacy_sentence_links_its_words_or_ends_with_the_link(app: Flask) -> None:
    with app.test_request_context("/feedback"):
        inside = _privacy_sentence(text_with("Read our privacy notice & more.", "privacy notice"))
        after = _privacy_sentence(text_with("We keep <your> data safe.", "how we do it"))
    assert isinstance(inside, Markup) and isinstance(after, Markup)
    assert inside == 'Read our <a class="nhsuk-link" href="/privacy">privacy notice</a> &amp; more.'
    assert after == 'We keep &lt;your&gt; data safe. <a class="nhsuk-link" href="/privacy">how we do it</a>'


def test_the_easy_read_form_still_links_the_privacy_notice(client: FlaskClient) -> None:
    page = get(client, "/feedback?easy=1")
    privacy = [a for a in page.main.find_all("a") if a.attrs.get("href") == "/privacy"]
    assert len(privacy) == 1
