"""The web form's confirmation page after feedback that suggests a risk to life or safety: an
NHS.UK urgent care card with where to get help now, in the page's language, recorded once."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.signposting import SIGNPOSTED
from intake.storage.models import AuditEvent
from webhooks.forms.text import page_text

from .conftest import Element, Page, get, open_form

RISKY = "My carer is hurting my dad and nobody at the GP surgery listens"
PLAIN = "The GP surgery never answers the phone in the morning"
ANSWERS: dict[str, Any] = {"about": "someone", "service": "gp", "contact": "no"}


def submit(client: FlaskClient, what: str, **answers: Any) -> Page:
    token, submission = open_form(client)
    response = client.post("/feedback", data={"csrf_token": token, "submission": submission,
                                              **ANSWERS, "what": what, **answers})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return get(client, "/feedback/confirmation")


def care_card(page: Page) -> Element | None:
    return page.main.find(id="urgent-help")


def events(runtime: Runtime) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == SIGNPOSTED)))


def test_flagged_feedback_shows_the_urgent_care_card(client: FlaskClient, runtime: Runtime) -> None:
    page = submit(client, RISKY)
    assert page.reference() is not None
    card = care_card(page)
    assert card is not None
    assert {"nhsuk-card--care", "nhsuk-card--care--urgent"} <= card.classes
    heading = card.one("h2")
    assert heading.text == "Urgent advice: If you or someone else is at risk, get help now"
    text = card.text
    for words in ("Call 999", "NHS 111", "111.nhs.uk", "Samaritans", "116 123",
                  "Do not wait for us to reply"):
        assert words in text
    # Where to get help comes before the thank-you words.
    body = page.main.text
    assert body.index("Call 999") < body.index("We read every message")
    [event] = events(runtime)
    assert (event.entity_type, event.entity_id) == ("feedback", page.reference())
    assert event.details["flags"] == ["abuse-neglect"]
    assert (event.details["channel"], event.details["language"]) == ("web", "en")


def test_ordinary_feedback_shows_no_care_card(client: FlaskClient, runtime: Runtime) -> None:
    page = submit(client, PLAIN)
    assert page.reference() is not None
    assert care_card(page) is None
    assert "116 123" not in page.main.text
    assert events(runtime) == []


def test_a_negated_risk_shows_no_care_card(client: FlaskClient) -> None:
    assert care_card(submit(client, "I'm not suicidal, just fed up with waiting at the GP")) is None


def test_showing_the_page_again_records_the_signposting_once(
        client: FlaskClient, runtime: Runtime) -> None:
    submit(client, RISKY)
    again = get(client, "/feedback/confirmation")
    assert care_card(again) is not None
    assert len(events(runtime)) == 1


def test_the_next_feedback_without_a_risk_shows_no_card(client: FlaskClient) -> None:
    submit(client, RISKY)
    assert care_card(submit(client, PLAIN)) is None


def test_the_honeypot_never_shows_the_card(client: FlaskClient, runtime: Runtime) -> None:
    submit(client, RISKY)
    page = submit(client, RISKY, website="https://spam.example")
    assert page.reference() is None and care_card(page) is None


@pytest.mark.parametrize("language", ["ur", "pl"])
def test_the_care_card_is_in_the_page_language(client: FlaskClient, runtime: Runtime,
                                              language: str) -> None:
    get(client, f"/feedback?lang={language}")
    card = care_card(submit(client, RISKY))
    assert card is not None
    text = page_text(language)
    hidden = card.one(cls="nhsuk-u-visually-hidden").text
    assert hidden == f"{text('signposting_hidden')}:"
    assert "Urgent advice" not in card.text
    assert text("signposting_heading") in card.text and "116 123" in card.text
    [event] = events(runtime)
    assert event.details["language"] == language


def test_easy_read_has_its_own_words(client: FlaskClient) -> None:
    get(client, "/feedback?easy=1")
    card = care_card(submit(client, RISKY))
    assert card is not None
    assert "Do you need help now?" in card.one("h2").text
    assert "phone 999" in card.text


def test_drafted_translations_of_the_care_card_stay_unreviewed() -> None:
    for language in ("ur", "pl"):
        text = page_text(language)
        assert text.meta["reviewed"] is False
        assert text("signposting_999") != page_text("en")("signposting_999")
