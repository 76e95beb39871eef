"""Campaign pages: reviewers and admins only, CSRF on every step, a preview that shows who gets
what and who is left out, a send that queues exactly what was previewed, audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.storage.models import AuditEvent, Campaign, ContactAddress, OutboundMessage
from tests.conftest import FIXED_NOW
from tests.intake.synthetic_people import add_consultation, add_person, add_tracker_item
from tests.webhooks.staff.conftest import csrf_token

INVITE = "/staff/consultations/gp-access/invite"
EN = "NHS: tell us about {title} at {link}. Reply STOP to opt out."
PL = "NHS: {title} - napisz: {link}. STOP konczy wiadomosci."


@pytest.fixture
def setting(runtime: Runtime) -> dict[str, int]:
    """A consultation, a tracker item and four people: two reachable (one Polish), one who
    declined contact, one who opted out on Telegram."""
    with runtime.sessions.begin() as session:
        add_consultation(session)
        item = add_tracker_item(session)
        vault = runtime.intake.vault
        english = add_person(session, vault, 1, tracker=item)
        polish = add_person(session, vault, 2, preferred_language="pl", tracker=item)
        declined = add_person(session, vault, 3, consents=[False], tracker=item)
        opted_out = add_person(session, vault, 4, channels=["telegram", "sms"],
                               opted_out=["telegram"])
        return {"item": item.id, "english": english.id, "polish": polish.id,
                "declined": declined.id, "opted_out": opted_out.id}


def you_said_we_did(setting: dict[str, int]) -> str:
    return f"/staff/tracker/{setting['item']}/you-said-we-did"


def outbound(runtime: Runtime) -> list[OutboundMessage]:
    with runtime.sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def form(client: FlaskClient, **texts: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(client, "/staff/account"),
            **{f"text-{code}": text for code, text in texts.items()}}


def fingerprint(page: str) -> str:
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)
    assert found, "no confirmation form on the preview"
    return found.group(1)


# -- who may open the pages ---------------------------------------------------------------------

@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("reviewer", 200), ("admin", 200)])
def test_only_reviewers_and_admins_may_send_campaigns(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime, setting: dict[str, int],
        role: str, status: int) -> None:
    client = staff_client(role)
    assert client.get(INVITE).status_code == status
    assert client.get(you_said_we_did(setting)).status_code == status
    assert client.post(INVITE + "/preview", data=form(client, en=EN)).status_code == status
    response = client.post(INVITE + "/send", data=form(client, en=EN))
    assert response.status_code == (403 if role == "viewer" else 409)   # 409: no preview seen
    assert outbound(runtime) == []


def test_strangers_are_sent_to_sign_in(client: FlaskClient, setting: dict[str, int]) -> None:
    for path in (INVITE, you_said_we_did(setting)):
        response = client.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    response = client.post(INVITE + "/send", data={"text-en": EN})
    assert response.status_code in (302, 400)


def test_unknown_consultation_or_item_is_404(staff_client: Callable[[str], FlaskClient],
                                             setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    assert client.get("/staff/consultations/nope/invite").status_code == 404
    assert client.get("/staff/tracker/9999/you-said-we-did").status_code == 404


# -- compose, preview, send ---------------------------------------------------------------------

def test_invitation_from_compose_to_result(staff_client: Callable[[str], FlaskClient],
                                           runtime: Runtime, setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    compose = client.get(INVITE).get_data(as_text=True)
    assert 'name="text-en"' in compose and "{link}" in compose
    assert "2 people</strong> can get it now" in compose

    preview = client.post(INVITE + "/preview", data=form(client, en=EN, pl=PL))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'id="recipient-count">2<' in page
    # The exact text each language group gets, with its SMS cost.
    assert "NHS: tell us about Getting a GP appointment at " \
           "https://intake.example.test/feedback/c/gp-access. Reply STOP to opt out." in page
    assert "NHS: Getting a GP appointment - napisz:" in page
    assert "GSM-7" in page
    # Who is left out and why.
    assert 'id="left-out-opted-out"' in page and 'id="left-out-no-consent"' in page
    assert "Opted out of messages (on any channel)" in page
    assert outbound(runtime) == []            # nothing is queued by a preview

    sent = client.post(INVITE + "/send", data={**form(client, en=EN, pl=PL),
                                              "fingerprint": fingerprint(page)})
    assert sent.status_code == 302
    result = client.get(sent.headers["Location"])
    assert result.status_code == 200 and 'id="queued">2<' in result.get_data(as_text=True)
    messages = outbound(runtime)
    assert {(m.contributor_id, m.language) for m in messages} == {
        (setting["english"], "en"), (setting["polish"], "pl")}
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "campaign.invitation-sent")).one()
        assert event.actor == "staff:reviewer@example.org"
        assert event.details["queued"] == 2
        assert session.scalars(select(Campaign)).one().created_by == "staff:reviewer@example.org"


def test_you_said_we_did_fills_in_each_persons_reference(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime,
        setting: dict[str, int]) -> None:
    client = staff_client("admin")
    path = you_said_we_did(setting)
    compose = client.get(path).get_data(as_text=True)
    assert "Two more people now answer the phones at 8am." in compose     # the item's own words
    text = "NHS: about your feedback {reference}: we changed {title}. Reply STOP to opt out."
    page = client.post(path + "/preview", data=form(client, en=text)).get_data(as_text=True)
    assert "own reference is filled in: this is the first person" in page
    sent = client.post(path + "/send", data={**form(client, en=text),
                                             "fingerprint": fingerprint(page)})
    assert sent.status_code == 302
    messages = outbound(runtime)
    assert len(messages) == 2 and all(re.search(r"feedback FB-\w{6}:", m.body) for m in messages)
    assert {m.purpose for m in messages} == {"you-said-we-did"}


def test_a_send_without_csrf_is_refused(staff_client: Callable[[str], FlaskClient],
                                        runtime: Runtime, setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    page = client.post(INVITE + "/preview", data=form(client, en=EN)).get_data(as_text=True)
    response = client.post(INVITE + "/send", data={"text-en": EN,
                                                   "fingerprint": fingerprint(page)})
    assert response.status_code == 400
    assert client.post(INVITE + "/preview", data={"text-en": EN}).status_code == 400
    assert outbound(runtime) == []


def test_a_changed_audience_is_shown_again_not_sent(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime,
        setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    page = client.post(INVITE + "/preview", data=form(client, en=EN)).get_data(as_text=True)
    with runtime.sessions.begin() as session:
        session.scalars(select(ContactAddress).where(
            ContactAddress.contributor_id == setting["polish"])).one().opted_out_at = FIXED_NOW
    response = client.post(INVITE + "/send", data={**form(client, en=EN),
                                                   "fingerprint": fingerprint(page)})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "has changed since the preview" in body and 'id="recipient-count">1<' in body
    assert outbound(runtime) == []


def test_text_problems_are_shown_on_the_compose_page(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime,
        setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    response = client.post(INVITE + "/preview",
                           data=form(client, en="Come and tell us at {lnk}. STOP", pl=PL))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "{lnk} is not a placeholder you can use here" in page and 'href="#text-en"' in page
    assert PL.replace("{", "").split(":")[0] in page           # what they wrote is kept
    missing = client.post(INVITE + "/preview", data=form(client, pl=PL))
    assert missing.status_code == 400 and "Write this text" in missing.get_data(as_text=True)


def test_at_night_the_preview_says_when_messages_will_go(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime,
        setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    runtime.intake.clock = lambda: datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
    page = client.post(INVITE + "/preview", data=form(client, en=EN)).get_data(as_text=True)
    assert "Quiet hours" in page and "3 November 2026, 08:00" in page
    assert "Queue it for 2 people" in page


def test_a_closed_consultation_cannot_be_invited_to(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        add_consultation(session, "finished", status="closed", sms_keyword=None)
    client = staff_client("reviewer")
    response = client.get("/staff/consultations/finished/invite")
    assert response.status_code == 409 and "not open" in response.get_data(as_text=True)


def test_a_result_page_belongs_to_its_own_consultation(
        staff_client: Callable[[str], FlaskClient], runtime: Runtime,
        setting: dict[str, int]) -> None:
    client = staff_client("reviewer")
    page = client.post(INVITE + "/preview", data=form(client, en=EN)).get_data(as_text=True)
    result = client.post(INVITE + "/send", data={**form(client, en=EN),
                                                 "fingerprint": fingerprint(page)})
    campaign_path = result.headers["Location"]
    campaign_id = campaign_path.rsplit("/", 1)[1]
    assert client.get(campaign_path).status_code == 200
    assert client.get(f"{you_said_we_did(setting)}/{campaign_id}").status_code == 404
