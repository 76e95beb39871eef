"""``is_signed`` decides as Twilio's own ``RequestValidator.validate`` does, for URLs signed with
and without the default port, and for wrong tokens, URLs and bodies."""

from __future__ import annotations

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from webhooks.sms.signature import HEADER, is_signed

TOKEN = "test-token"
BASE = "https://intake.example.test"
FORM = {"MessageSid": "SM" + "a" * 32, "From": "+447700900123", "Body": "Hello"}


@pytest.mark.parametrize("signed_url", [f"{BASE}/sms/twilio", f"{BASE}:443/sms/twilio",
                                        f"{BASE}/sms/twilio?x=1", f"{BASE}/other"])
@pytest.mark.parametrize("token", [TOKEN, "another-token"])
@pytest.mark.parametrize("body", [FORM, {**FORM, "Body": "Changed"}])
def test_is_signed_agrees_with_twilios_validator(signed_url: str, token: str,
                                                 body: dict[str, str]) -> None:
    signature = RequestValidator(token).compute_signature(signed_url, FORM)
    app = Flask(__name__)
    with app.test_request_context("/sms/twilio", method="POST", data=body,
                                  headers={HEADER: signature}) as context:
        expected = RequestValidator(TOKEN).validate(f"{BASE}/sms/twilio", context.request.form,
                                                    signature)
        assert is_signed(context.request, TOKEN, BASE) is expected
