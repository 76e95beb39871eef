"""`intake simulate sms`: hold the whole SMS conversation in a terminal, without Twilio.

Each line typed is sent as a signed Twilio webhook request to the real app (same route, same
signature check, same conversation service, same database); the TwiML replies are printed.
"""

from __future__ import annotations

import secrets
import sys
import xml.etree.ElementTree as ElementTree

import click
from twilio.request_validator import RequestValidator

from intake.cli.runtime import open_runtime
from webhooks import create_app
from webhooks.sms.settings import TwilioSettings

SIMULATED_NUMBER = "+447700900000"


def twiml_messages(body: str) -> list[str]:
    return [m.text or "" for m in ElementTree.fromstring(body).iter("Message")]


@click.group()
def simulate() -> None:
    """Talk to the service as a patient would, without any provider."""


@simulate.command()
@click.option("--from", "sender", default="+447700900123", show_default=True,
              help="The phone number to pretend to be (use Ofcom's drama range 07700 900xxx).")
def sms(sender: str) -> None:
    """Type messages; see the replies a phone would get. Ctrl+D to finish."""
    with open_runtime() as runtime:
        twilio = TwilioSettings.from_env()
        token = twilio.auth_token or secrets.token_hex(16)
        app = create_app({"TWILIO": TwilioSettings(
            twilio.account_sid, token, twilio.from_number or SIMULATED_NUMBER,
            twilio.messaging_service_sid, twilio.api_base_url)}, runtime=runtime)
        client = app.test_client()
        url = f"{runtime.settings.public_base_url}/sms/twilio"
        interactive = sys.stdin.isatty()
        if interactive:
            click.echo(f"Texting as {sender}. Type a message and press Enter; Ctrl+D to finish.")
        for line in sys.stdin:
            text = line.rstrip("\n")
            form = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
                    "From": sender, "To": SIMULATED_NUMBER, "Body": text, "NumMedia": "0",
                    "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
            signature = RequestValidator(token).compute_signature(url, form)
            response = client.post("/sms/twilio", data=form,
                                   headers={"X-Twilio-Signature": signature})
            if response.status_code != 200:
                raise click.ClickException(
                    f"the app answered {response.status_code}: {response.get_data(as_text=True)}")
            if not interactive:
                click.echo(f"> {text}")
            for reply in twiml_messages(response.get_data(as_text=True)) or ["(no reply)"]:
                click.echo(f"< {reply}")
