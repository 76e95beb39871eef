"""`POST /sms/twilio/status`: Twilio's delivery reports for the follow-ups we sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from intake.contributors import contributor_for
from intake.outbox import OutboxWorker, enqueue
from intake.storage.models import OutboundMessage, OutboundStatus
from tests.conftest import FIXED_NOW

from .conftest import PATIENT, SmsChannel, sign

PROVIDER_SID = "SM" + "a" * 32


class OneSid:
    channel = "sms"

    def send(self, address: str, body: str) -> str:
        return PROVIDER_SID


@pytest.fixture
def sent(sms: SmsChannel) -> int:
    """A follow-up the worker has handed to Twilio (status sent, Twilio's sid recorded)."""
    runtime = sms.runtime
    with runtime.sessions.begin() as session:
        _, address = contributor_for(session, runtime.intake.vault, "sms", PATIENT, FIXED_NOW)
        message = enqueue(session, intent_key="follow-up:status", address=address,
                          purpose="follow-up", body="The GP surgery has more phone lines now.",
                          language="en", now=FIXED_NOW)
        session.flush()
        message_id = message.id
    report = OutboxWorker(runtime.sessions, runtime.intake.vault, {"sms": OneSid()},
                          runtime.intake.clock).run_once()
    assert report.sent == 1
    assert state(sms, message_id) == (OutboundStatus.SENT, None)
    return message_id


def state(sms: SmsChannel, message_id: int) -> tuple[str, str | None]:
    with sms.runtime.sessions() as session:
        message = session.get_one(OutboundMessage, message_id)
        return message.status, message.last_error


def later(sms: SmsChannel, minutes: int) -> None:
    sms.runtime.intake.clock = lambda: FIXED_NOW + timedelta(minutes=minutes)


def test_sent_then_delivered_moves_forward(sms: SmsChannel, sent: int) -> None:
    later(sms, 1)
    assert sms.report(PROVIDER_SID, "sent").status_code == 204
    assert state(sms, sent) == (OutboundStatus.SENT, None)
    later(sms, 2)
    assert sms.report(PROVIDER_SID, "delivered").status_code == 204
    assert state(sms, sent) == (OutboundStatus.DELIVERED, None)
    with sms.runtime.sessions() as session:
        assert session.get_one(OutboundMessage, sent).updated_at == FIXED_NOW + timedelta(minutes=2)


def test_a_late_sent_after_delivered_does_not_move_it_back(sms: SmsChannel, sent: int) -> None:
    assert sms.report(PROVIDER_SID, "delivered").status_code == 204
    assert sms.report(PROVIDER_SID, "sent").status_code == 204
    assert sms.report(PROVIDER_SID, "queued").status_code == 204
    assert state(sms, sent) == (OutboundStatus.DELIVERED, None)


def test_failed_stores_the_error_code(sms: SmsChannel, sent: int) -> None:
    assert sms.report(PROVIDER_SID, "failed", ErrorCode="30003").status_code == 204
    assert state(sms, sent) == (OutboundStatus.FAILED, "30003")


def test_undelivered_counts_as_failed(sms: SmsChannel, sent: int) -> None:
    assert sms.report(PROVIDER_SID, "undelivered", ErrorCode="30005").status_code == 204
    assert state(sms, sent) == (OutboundStatus.FAILED, "30005")


def test_a_report_for_an_unknown_sid_changes_nothing(sms: SmsChannel, sent: int) -> None:
    response = sms.report("SM" + "b" * 32, "failed", ErrorCode="30003")
    assert response.status_code == 204
    assert state(sms, sent) == (OutboundStatus.SENT, None)


def test_an_unsigned_report_is_refused(sms: SmsChannel, sent: int) -> None:
    params = {"MessageSid": PROVIDER_SID, "MessageStatus": "failed", "ErrorCode": "30003"}
    unsigned = sms.client.post("/sms/twilio/status", data=params)
    assert unsigned.status_code == 403
    # Signed for the inbound URL rather than the status URL: also refused.
    wrong_url = sms.post("/sms/twilio/status", params, signature=sign(params))
    assert wrong_url.status_code == 403
    assert state(sms, sent) == (OutboundStatus.SENT, None)


def test_a_report_without_a_status_is_a_bad_request(sms: SmsChannel, sent: int) -> None:
    response = sms.post("/sms/twilio/status", {"MessageSid": PROVIDER_SID})
    assert response.status_code == 400
    assert state(sms, sent) == (OutboundStatus.SENT, None)


class ReportsBeforeReturning:
    """Twilio's failure report reaching the webhook before the API call has returned to the worker
    (an immediate carrier rejection arrives in well under a second)."""

    channel = "sms"

    def __init__(self, sms: SmsChannel) -> None:
        self.sms = sms
        self.report_codes: list[int] = []

    def send(self, address: str, body: str) -> str:
        self.report_codes.append(self.sms.report(PROVIDER_SID, "failed", ErrorCode="30007").status_code)
        return PROVIDER_SID


def test_a_failure_reported_before_the_worker_recorded_the_sid_is_kept(sms: SmsChannel) -> None:
    runtime = sms.runtime
    with runtime.sessions.begin() as session:
        _, address = contributor_for(session, runtime.intake.vault, "sms", PATIENT, FIXED_NOW)
        message = enqueue(session, intent_key="follow-up:early", address=address,
                          purpose="follow-up", body="Hello", language="en", now=FIXED_NOW)
        session.flush()
        message_id = message.id
    sender = ReportsBeforeReturning(sms)

    OutboxWorker(runtime.sessions, runtime.intake.vault, {"sms": sender}, runtime.intake.clock).run_once()

    assert sender.report_codes == [204]
    assert state(sms, message_id) == (OutboundStatus.FAILED, "30007")
