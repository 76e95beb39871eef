"""Hostile input at the public form (`POST /feedback`): every field fuzzed, markup and script,
control characters, over-long values, bodies that are not UTF-8 or are over the size limit.

The contract, read from webhooks/forms/: a valid submission is stored once and redirects to the
confirmation (302); anything else shows the form again (400) with the NHS error summary saying
what to fix, what was typed kept and escaped, and no feedback made; a body over 1 MiB is the
friendly 413 page. Never 500, and no payload ever comes back as live markup.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.storage.models import Feedback, InboundMessage
from tests.reliability.conftest import Tally
from tests.reliability.hostile_inputs import (
    ATTRIBUTE_BREAKOUT,
    MARKUP,
    SCRIPT,
    count_rows,
    field_text,
    hostile_app,
    hostile_text,
    invalid_utf8,
    percent_bytes,
)
from tests.webhooks.forms.conftest import Page, open_form

FUZZ = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FORM = "application/x-www-form-urlencoded"
LIVE_MARKUP = re.compile(r"<script>alert|<img src=x onerror|<svg/onload", re.I)


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    return hostile_app(runtime).test_client()


def choice(*good: str) -> st.SearchStrategy[str]:
    """Mostly a value the form offers, sometimes anything at all."""
    return st.one_of(st.sampled_from(good), st.sampled_from(good), hostile_text)


answers = st.fixed_dictionaries({
    "about": choice("me", "someone"),
    "service": choice("gp", "pharmacy", "not-sure", "other"),
    "what": st.one_of(field_text, st.sampled_from(MARKUP)),
    "fft": choice("very-good", "poor", "dont-know", ""),
    "interpreter": choice("", "ur", "pl"),
    "contact": choice("no", "sms", "email"),
    "phone": choice("07700 900 123", "+447700900123", ""),
    "email": choice("someone@example.org", ""),
}, optional={"website": choice("", "http://spam.example")})
needs = st.lists(choice("bsl-interpreter", "interpreter", "easy-read", "large-print"), max_size=4)


def assert_escaped(html: str, typed: list[str]) -> None:
    """No payload comes back as live markup: only our own tags and the escaped text."""
    assert not LIVE_MARKUP.search(html), LIVE_MARKUP.search(html)
    for value in typed:
        if "<" in value and len(value) > 3:
            assert value not in html


def stored_for(runtime: Runtime, submission: str) -> tuple[int, int]:
    """(raw inbox records, feedback items) for one submission id."""
    inbound = count_rows(runtime, InboundMessage,
                         InboundMessage.provider_message_id == f"web-{submission}")
    feedback = count_rows(runtime, Feedback, Feedback.inbound_message_id.in_(
        select(InboundMessage.id).where(InboundMessage.provider_message_id == f"web-{submission}")))
    return inbound, feedback


@FUZZ
@given(values=answers, chosen=needs, twice=st.booleans())
def test_every_submission_is_stored_once_or_shown_again_with_a_clear_error(
        client: FlaskClient, runtime: Runtime, reliability_tally: Tally, values: dict[str, str],
        chosen: list[str], twice: bool) -> None:
    reliability_tally.add("hostile_inputs")
    token, _ = open_form(client)
    submission = uuid.uuid4().hex
    data = {"csrf_token": token, "submission": submission, **values, "needs": chosen}
    responses = [client.post("/feedback", data=data) for _ in range(2 if twice else 1)]
    reliability_tally.add("server_errors", sum(r.status_code >= 500 for r in responses))
    first = responses[0]
    assert first.status_code in (302, 400), first.status_code
    inbound, feedback = stored_for(runtime, submission)
    reliability_tally.add("records_checked")
    if first.status_code == 302:
        assert first.headers["Location"] == "/feedback/confirmation"
        assert [r.status_code for r in responses] == [302] * len(responses)
        honeypot = bool(values.get("website"))
        reliability_tally.add("records_lost", int(inbound == 0 or (feedback == 0 and not honeypot)))
        reliability_tally.add("records_duplicated", max(0, inbound - 1) + max(0, feedback - 1))
        assert (inbound, feedback) == (1, 0 if honeypot else 1)
        page = client.get("/feedback/confirmation")
        assert page.status_code == 200
        assert_escaped(page.get_data(as_text=True), list(values.values()))
        return
    page = Page.of(first)
    summary = page.error_summary()
    assert summary, "a 400 without an error summary"
    assert all(href.startswith("#") and text.strip() for href, text in summary)
    # Nothing half-stored: no feedback; at most the raw message the pipeline refused.
    assert feedback == 0
    assert inbound <= 1
    assert_escaped(page.html, [*values.values(), *chosen])


@settings(FUZZ, max_examples=6)
@given(raw=invalid_utf8, where=st.sampled_from(["what", "about", "phone", "submission"]))
def test_a_body_that_is_not_utf8_is_never_a_500(
        client: FlaskClient, runtime: Runtime, reliability_tally: Tally, raw: bytes, where: str) -> None:
    """Escaped bytes that are not UTF-8 read as their escapes (%FF); raw ones make the body
    unreadable, which reads as an empty form: both are shown again with the errors."""
    reliability_tally.add("hostile_inputs")
    token, submission = open_form(client)
    before = count_rows(runtime, Feedback)
    fields = {"csrf_token": token, "submission": submission, "about": "me", "service": "gp",
              "what": "The GP was kind", "contact": "no"}
    escaped = "&".join(f"{k}={percent_bytes(raw) if k == where else quote(v)}"
                       for k, v in fields.items()).encode()
    for body in (escaped, escaped + b"&x=" + raw):
        response = client.post("/feedback", data=body, content_type=FORM)
        reliability_tally.add("server_errors", int(response.status_code >= 500))
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert Page.of(response).error_summary()
    made = count_rows(runtime, Feedback) - before
    reliability_tally.add("records_duplicated", max(0, made - 1))
    assert made <= 1  # the second post repeats the first's submission id


def test_a_body_over_the_size_limit_is_the_friendly_413_page(
        client: FlaskClient, runtime: Runtime, reliability_tally: Tally) -> None:
    token, submission = open_form(client)
    for what, expected in (("x" * 5_001, 400), ("<b>" * 400_000, 413)):
        reliability_tally.add("hostile_inputs")
        response = client.post("/feedback", data={
            "csrf_token": token, "submission": submission, "about": "me", "service": "gp",
            "what": what, "contact": "no"})
        reliability_tally.add("server_errors", int(response.status_code >= 500))
        page = Page.of(response)
        assert page.status == expected
        if expected == 413:
            assert page.h1 == "Your feedback was too large to send"
        else:
            assert [href for href, _ in page.error_summary()] == ["#what"]
        assert_escaped(page.html, [])
    assert count_rows(runtime, InboundMessage) == 0


def test_script_payloads_come_back_escaped_on_every_public_page(
        client: FlaskClient, runtime: Runtime, reliability_tally: Tally) -> None:
    for payload in (SCRIPT, ATTRIBUTE_BREAKOUT):
        reliability_tally.add("hostile_inputs")
        for path in (f"/?lang={quote(payload)}", f"/feedback?easy={quote(payload)}",
                     f"/feedback/c/{quote(payload, safe='')}", f"/{quote(payload)}",
                     f"/privacy?{quote(payload)}={quote(payload)}"):
            response = client.get(path)
            reliability_tally.add("server_errors", int(response.status_code >= 500))
            assert response.status_code in (200, 404), path
            assert_escaped(response.get_data(as_text=True), [payload])
