"""Hostile input in the staff workspace and the API: fuzzed queue filters and searches
(`/staff/queue?...`), fuzzed API parameters (`GET /api/v1/feedback?...`), and feedback whose text
is markup, shown on the queue, the item page and the CSV export.

The contract, read from webhooks/staff/queue.py and webhooks/api/params.py: the queue never
refuses a link (a value it cannot use is dropped with a message on the page); the API refuses a
bad parameter with a 400 naming it. Never 500; typed text never comes back as live markup.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.staff.accounts import issue_api_token
from intake.storage.models import Feedback, FeedbackConsultationLink, StaffUser
from tests.conftest import FIXED_NOW
from tests.intake.staff.ingested import add_consultation, ingest
from tests.reliability.conftest import Tally
from tests.reliability.hostile_inputs import (
    ATTRIBUTE_BREAKOUT,
    DATES,
    SCRIPT,
    SQL,
    hostile_app,
    hostile_text,
)
from tests.webhooks.staff.conftest import make_user, sign_in
from webhooks.api.params import PARAMETERS
from webhooks.staff.queue import FILTER_NAMES

FUZZ = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PAYLOADS = (SCRIPT, ATTRIBUTE_BREAKOUT)
LIVE = ("<script>alert(1)", "<img src=x onerror")


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return hostile_app(runtime)


@pytest.fixture
def viewer(app: Flask, runtime: Runtime) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, make_user(runtime, "viewer")).status_code == 302
    return client


@pytest.fixture
def bearer(runtime: Runtime) -> dict[str, str]:
    email = make_user(runtime, "viewer", "api-viewer@example.org")
    with runtime.sessions.begin() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None
        return {"Authorization": "Bearer " + issue_api_token(session, user, FIXED_NOW, actor="test")}


def seed(runtime: Runtime) -> list[str]:
    """Two items whose text is markup, linked to a consultation (for its CSV export)."""
    consultation = add_consultation(runtime, slug="hostile-review", title=SCRIPT)
    references = [ingest(runtime, f"The GP said {payload} and then left") for payload in PAYLOADS]
    with runtime.sessions.begin() as session:
        for reference in references:
            item = session.scalar(select(Feedback).where(Feedback.reference == reference))
            assert item is not None
            session.add(FeedbackConsultationLink(feedback_id=item.id, consultation_id=consultation,
                                                 created_at=FIXED_NOW, linked_by="test"))
    return references


# Values that filters meet in shared links: real ones, SQL-looking text, dates, digits that are
# not ASCII, markup.
filter_value = st.one_of(
    st.sampled_from(("gp", "pharmacy", "none", "new", "closed", "sms", "web", "ur", "en",
                     "interpreter", "interpreter:ur", "hostile-review", "1", "2")),
    st.sampled_from(SQL + DATES + PAYLOADS), hostile_text,
)
ascii_only = {"tracker", "page"}


def queue_args(names: list[str], values: list[str]) -> dict[str, str]:
    return dict(zip(names, values, strict=False))


def no_nul(text: str) -> str:
    return text.replace("\x00", "")


@FUZZ
@given(names=st.lists(st.sampled_from((*FILTER_NAMES, "page", "unknown")), min_size=1,
                      max_size=5),
       values=st.lists(filter_value.map(no_nul), min_size=5, max_size=5))
def test_queue_filters_never_make_a_500(
        viewer: FlaskClient, runtime: Runtime, reliability_tally: Tally, names: list[str],
        values: list[str]) -> None:
    reliability_tally.add("hostile_inputs")
    args = queue_args(names, values)
    args = {k: v for k, v in args.items() if not (k in ascii_only and len(v) > 15)}
    response = viewer.get("/staff/queue?" + urlencode(args))
    reliability_tally.add("server_errors", int(response.status_code >= 500))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not any(live in html for live in LIVE)
    for name in ("since", "until"):
        value = args.get(name, "").strip()[:200]
        if value and not is_date(value):
            assert "Enter a date like 2026-11-02" in html, name


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@FUZZ
@given(names=st.lists(st.sampled_from((*PARAMETERS, "unknown", "q")), min_size=1, max_size=4),
       values=st.lists(filter_value.map(no_nul), min_size=4, max_size=4))
def test_api_parameters_are_answered_or_refused_with_a_clear_400(
        app: Flask, bearer: dict[str, str], reliability_tally: Tally, names: list[str],
        values: list[str]) -> None:
    reliability_tally.add("hostile_inputs")
    args = queue_args(names, values)
    args = {k: v for k, v in args.items() if not (k in ascii_only and len(v) > 15)}
    if "per_page" in args:
        args["per_page"] = args["per_page"].encode("ascii", "ignore").decode()[:15]
    response = app.test_client().get("/api/v1/feedback?" + urlencode(args), headers=bearer)
    reliability_tally.add("server_errors", int(response.status_code >= 500))
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    body = response.get_json()
    if response.status_code == 400:
        assert body["error"] == "bad-parameter"
        assert body["parameter"] in args
        assert body["message"].startswith(body["parameter"] + ": ")
    else:
        assert set(body) >= {"items", "total", "page", "filters"}


def test_markup_in_feedback_is_escaped_on_the_queue_the_item_page_and_the_csv(
        viewer: FlaskClient, runtime: Runtime, reliability_tally: Tally) -> None:
    references = seed(runtime)
    reliability_tally.add("hostile_inputs", len(PAYLOADS))
    pages = [viewer.get("/staff/queue"), viewer.get("/staff/queue?q=" + SCRIPT),
             viewer.get("/staff/queue?" + urlencode({"consultation": SCRIPT, "theme": SCRIPT})),
             *(viewer.get(f"/staff/feedback/{reference}") for reference in references)]
    reliability_tally.add("server_errors", sum(p.status_code >= 500 for p in pages))
    assert [p.status_code for p in pages] == [200] * len(pages)
    for page in pages:
        html = page.get_data(as_text=True)
        assert not any(live in html for live in LIVE)
    queue = pages[0].get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queue
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in queue \
        or "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in queue
    export = viewer.get("/staff/consultations/hostile-review/report.csv")
    reliability_tally.add("server_errors", int(export.status_code >= 500))
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    reliability_tally.add("records_checked", len(references))
    texts = sorted(row["text"] for row in rows)
    reliability_tally.add("records_lost", max(0, len(references) - len(rows)))
    # In a CSV the text is data, not markup: each payload round-trips exactly, quoted as needed.
    assert texts == sorted(f"The GP said {payload} and then left" for payload in PAYLOADS)




def test_digits_that_are_not_ascii_are_never_a_500(
        app: Flask, viewer: FlaskClient, bearer: dict[str, str], reliability_tally: Tally) -> None:
    statuses = []
    for name in ("tracker", "page"):
        reliability_tally.add("hostile_inputs", 2)
        statuses.append(viewer.get(f"/staff/queue?{name}=²").status_code)
        statuses.append(app.test_client().get(f"/api/v1/feedback?{name}=²",
                                               headers=bearer).status_code)
    reliability_tally.add("server_errors", sum(s >= 500 for s in statuses))
    assert all(s in (200, 400) for s in statuses), statuses




def test_the_last_day_there_is_is_never_a_500(
        app: Flask, viewer: FlaskClient, bearer: dict[str, str], reliability_tally: Tally) -> None:
    reliability_tally.add("hostile_inputs", 2)
    statuses = [viewer.get("/staff/queue?until=9999-12-31").status_code,
                app.test_client().get("/api/v1/feedback?until=9999-12-31",
                                      headers=bearer).status_code]
    reliability_tally.add("server_errors", sum(s >= 500 for s in statuses))
    assert all(s in (200, 400) for s in statuses), statuses
