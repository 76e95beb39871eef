"""The SMS webhook routes' own contract: which requests are refused (403, 400) and with what words,
what an accepted message stores, how Twilio's delivery statuses map to ours, and the TwiML and
media-type helpers. (Conversations through the webhook are in test_inbound.py.)"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from intake.storage.models import EarlyDeliveryReport, InboundMessage, OutboundStatus
from webhooks.sms.routes import MAX_ID_LENGTH, MAX_MEDIA, _media_types, _twiml

from .conftest import ACCOUNT_SID, PATIENT, SERVICE_NUMBER, SmsChannel, build_channel, new_sid

GP = "The GP receptionist was rude to my dad"


def stored_payloads(sms: SmsChannel) -> list[dict[str, Any]]:
    with sms.runtime.sessions() as session:
        return [json.loads(sms.runtime.intake.vault.decrypt(record.payload_encrypted))
                for record in session.scalars(select(InboundMessage).order_by(InboundMessage.id))]


def early_reports(sms: SmsChannel) -> dict[str, tuple[str, str | None]]:
    with sms.runtime.sessions() as session:
        return {r.provider_message_id: (r.status, r.error)
                for r in session.scalars(select(EarlyDeliveryReport))}


# -- messages in: refusals ----------------------------------------------------------------------

def test_a_message_without_a_sender_is_a_bad_request(sms: SmsChannel) -> None:
    response = sms.inbound(PATIENT, GP, From=None)
    assert response.status_code == 400
    assert response.get_data(as_text=True) == "MessageSid and From are required."
    assert sms.count(InboundMessage) == 0


def test_ids_that_twilio_would_never_send_are_a_bad_request(sms: SmsChannel) -> None:
    for field in ("MessageSid", "From"):
        for value in ("x" * (MAX_ID_LENGTH + 1), "SM\n123", "+44\x007700900123"):
            response = sms.inbound(PATIENT, GP, **{field: value})
            assert response.status_code == 400, (field, value)
            assert response.get_data(as_text=True) == \
                "MessageSid and From must be short printable identifiers, as Twilio sends."
    assert sms.count(InboundMessage) == 0


def test_an_id_of_the_longest_length_allowed_is_taken(sms: SmsChannel) -> None:
    sid = "SM" + "0" * (MAX_ID_LENGTH - 2)
    response = sms.inbound(PATIENT, GP, sid=sid)
    assert response.status_code == 200
    with sms.runtime.sessions() as session:
        assert session.scalars(select(InboundMessage.provider_message_id)).all() == [sid]


def test_a_signature_is_checked_before_the_fields(sms: SmsChannel) -> None:
    """An unsigned request learns nothing about what a good one must hold."""
    response = sms.client.post("/sms/twilio", data={"Body": GP})
    assert response.status_code == 403


# -- messages in: what is stored and answered ---------------------------------------------------

def test_an_accepted_message_is_stored_with_twilios_details_and_answered_in_twiml(
        sms: SmsChannel) -> None:
    sid = new_sid()
    response = sms.inbound(PATIENT, GP, sid=sid, NumSegments="2")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert ElementTree.fromstring(response.data).tag == "Response"
    [payload] = stored_payloads(sms)
    assert (payload["channel"], payload["provider_message_id"], payload["text"]) == ("sms", sid, GP)
    assert {k: payload["metadata"][k] for k in ("to", "num_segments", "account_sid", "media")} == \
        {"to": SERVICE_NUMBER, "num_segments": "2", "account_sid": ACCOUNT_SID, "media": []}


def test_the_media_types_are_recorded_up_to_the_limit(sms: SmsChannel) -> None:
    types = {f"MediaContentType{i}": f"image/type-{i}" for i in range(MAX_MEDIA + 2)}
    response = sms.inbound(PATIENT, GP, NumMedia=str(MAX_MEDIA + 2), **types)
    assert response.status_code == 200
    [payload] = stored_payloads(sms)
    assert payload["metadata"]["media"] == [f"image/type-{i}" for i in range(MAX_MEDIA)]


def test_a_message_without_a_body_is_still_stored(sms: SmsChannel) -> None:
    response = sms.inbound(PATIENT, "", Body=None)
    assert response.status_code == 200
    [payload] = stored_payloads(sms)
    assert payload["text"] == ""


# -- delivery reports ---------------------------------------------------------------------------

TWILIO_TO_OURS = [
    ("delivered", OutboundStatus.DELIVERED), ("DELIVERED", OutboundStatus.DELIVERED),
    ("read", OutboundStatus.DELIVERED), ("undelivered", OutboundStatus.FAILED),
    ("failed", OutboundStatus.FAILED), ("Failed", OutboundStatus.FAILED),
    ("canceled", OutboundStatus.CANCELLED), ("queued", OutboundStatus.SENT),
    ("sending", OutboundStatus.SENT), ("sent", OutboundStatus.SENT),
    ("a-status-twilio-adds-later", OutboundStatus.SENT),
]


def test_each_twilio_status_is_kept_as_ours(sms: SmsChannel) -> None:
    """A report for a sid not yet saved is kept as it maps, to be applied later."""
    sids = {reported: new_sid() for reported, _ in TWILIO_TO_OURS}
    for reported, _ in TWILIO_TO_OURS:
        response = sms.report(sids[reported], reported)
        assert response.status_code == 204, reported
        assert response.data == b""
    kept = early_reports(sms)
    assert {reported: kept[sids[reported]][0] for reported, _ in TWILIO_TO_OURS} == \
        {reported: ours for reported, ours in TWILIO_TO_OURS}


def test_an_empty_error_code_is_no_error(sms: SmsChannel) -> None:
    with_code, without = new_sid(), new_sid()
    sms.report(with_code, "failed", ErrorCode="30003")
    sms.report(without, "failed", ErrorCode="")
    assert early_reports(sms) == {with_code: (OutboundStatus.FAILED, "30003"),
                                  without: (OutboundStatus.FAILED, None)}


def test_a_report_without_its_sid_or_status_is_a_bad_request(sms: SmsChannel) -> None:
    for missing in ("MessageSid", "MessageStatus"):
        params = {"MessageSid": new_sid(), "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID,
                  missing: ""}
        response = sms.post("/sms/twilio/status", params)
        assert response.status_code == 400, missing
        assert response.get_data(as_text=True) == "MessageSid and MessageStatus are required."
    assert early_reports(sms) == {}


def test_without_an_auth_token_reports_are_refused(sms: SmsChannel) -> None:
    unconfigured = build_channel(sms.runtime, replace(sms.settings, auth_token=""))
    assert unconfigured.report(new_sid(), "delivered").status_code == 403
    assert early_reports(sms) == {}


def test_only_post_is_answered(sms: SmsChannel) -> None:
    for path in ("/sms/twilio", "/sms/twilio/status"):
        assert sms.client.get(path).status_code == 405, path


# -- helpers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("form", "expected"), [
    ({}, ()),
    ({"NumMedia": "0"}, ()),
    ({"NumMedia": ""}, ()),
    ({"NumMedia": "two"}, ()),
    ({"NumMedia": "-3", "MediaContentType0": "image/jpeg"}, ()),
    ({"NumMedia": "1", "MediaContentType0": "image/jpeg"}, ("image/jpeg",)),
    ({"NumMedia": "2", "MediaContentType0": "image/jpeg"}, ("image/jpeg", "unknown")),
    ({"NumMedia": "1", "MediaContentType0": ""}, ("unknown",)),
    ({"NumMedia": "1000000", **{f"MediaContentType{i}": "audio/amr" for i in range(20)}},
     ("audio/amr",) * MAX_MEDIA),
])
def test_media_types_are_read_from_the_count_twilio_gives(
        form: dict[str, str], expected: tuple[str, ...]) -> None:
    assert _media_types(form) == expected


def test_twiml_has_one_message_per_reply_in_order_with_text_escaped() -> None:
    response = _twiml(("First & <foremost>", "Second"))
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "Response"
    assert [m.text for m in root.iter("Message")] == ["First & <foremost>", "Second"]
    assert b"&amp; &lt;foremost&gt;" in response.get_data()


def test_twiml_without_replies_is_an_empty_response() -> None:
    root = ElementTree.fromstring(_twiml(()).get_data())
    assert root.tag == "Response" and list(root) == []
