"""Hostile input in the staff workspace's forms: every POST route under `/staff` fuzzed while
signed in as an admin (so every route is reachable) with a valid CSRF token, and every POST route
tried without a token.

Routes covered (``STAFF_POSTS`` is checked against the app's URL map, so a new POST route cannot
be left out): the item page's actions (original text, status, tags, one tag, confirm all, links,
notes, replies), bulk actions on the queue, the tracker (new, edit, status, rating, progress,
link, unlink), consultations (new, edit, open, close, reported), both campaigns (compose, preview,
send), users (new, role, active, unlock, password), your account (password, API token), privacy
(person, access, erase), configuration (check and save) and signing in and out.

Values are hostile text, markup and script, SQL-looking text, over-long strings, digits that are
not ASCII, unknown ids and references, missing fields and repeated fields. The contract: never a
5xx and never a traceback; a refused form is a 4xx (the page again with the NHS.UK error summary
where there is a form to show); whatever is shown back, on the answer or on the page a redirect
leads to, is escaped. Without a CSRF token every POST is a 400 and nothing changes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from intake.bootstrap import Runtime
from intake.config import CONFIG_DIR_VARIABLE, editing
from intake.staff import consultations as consultation_core
from intake.staff import tracker as tracker_core
from intake.staff.consultations import ConsultationDetails
from intake.staff.tracker import PROGRESS_FIELDS, TrackerDetails
from intake.storage.models import (
    AuditEvent,
    Campaign,
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackNote,
    FeedbackTrackerLink,
    OutboundMessage,
    RagRatingChange,
    StaffUser,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW
from tests.intake.staff.ingested import ingest
from tests.intake.synthetic_people import add_person
from tests.reliability.conftest import Tally
from tests.reliability.hostile_inputs import (
    MARKUP,
    ODD_DIGITS,
    SCRIPT,
    SQL,
    hostile_app,
    hostile_text,
    is_postgres,
)
from tests.webhooks.staff.conftest import PASSWORD, csrf_token, make_user, sign_in

LIVE = re.compile(r"<script>alert|<img src=x onerror|<svg/onload", re.I)
TRACEBACK = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "psycopg.")
# A refused form says what is wrong: the NHS.UK error summary, or (for a button whose only input
# is a fixed choice) the plain "Bad Request" page; a missing CSRF token has its own page.
CLEAR_400 = ("There is a problem", "Bad Request", "Your session has expired")
ALLOWED = frozenset({200, 302, 400, 404, 409, 413})
SLUG = "maternity-2026"
CONFIG_FILES = tuple(editing.FILES)

# Every POST route of the staff blueprint, as the URL map spells it.
STAFF_POSTS = frozenset({
    "/staff/login", "/staff/logout",
    "/staff/account/password", "/staff/account/api-token",
    "/staff/feedback/<reference>/original", "/staff/feedback/<reference>/status",
    "/staff/feedback/<reference>/tags", "/staff/feedback/<reference>/tags/<int:tag_id>",
    "/staff/feedback/<reference>/tags/confirm-all", "/staff/feedback/<reference>/links",
    "/staff/feedback/<reference>/notes", "/staff/feedback/<reference>/reply",
    "/staff/queue/bulk",
    "/staff/tracker/new", "/staff/tracker/<int:item_id>/edit",
    "/staff/tracker/<int:item_id>/status", "/staff/tracker/<int:item_id>/rating",
    "/staff/tracker/<int:item_id>/progress/<name>", "/staff/tracker/<int:item_id>/links",
    "/staff/tracker/<int:item_id>/links/<reference>/remove",
    "/staff/consultations/new", "/staff/consultations/<slug>/edit",
    "/staff/consultations/<slug>/open", "/staff/consultations/<slug>/close",
    "/staff/consultations/<slug>/reported",
    "/staff/consultations/<slug>/invite", "/staff/consultations/<slug>/invite/preview",
    "/staff/consultations/<slug>/invite/send",
    "/staff/tracker/<int:item_id>/you-said-we-did",
    "/staff/tracker/<int:item_id>/you-said-we-did/preview",
    "/staff/tracker/<int:item_id>/you-said-we-did/send",
    "/staff/users/new", "/staff/users/<int:user_id>/role", "/staff/users/<int:user_id>/active",
    "/staff/users/<int:user_id>/unlock", "/staff/users/<int:user_id>/password",
    "/staff/privacy/person", "/staff/privacy/person/access", "/staff/privacy/person/erase",
    "/staff/configuration/<name>",
})


# -- what is fuzzed --------------------------------------------------------------------------

def no_nul(text: str) -> str:
    """NUL has its own test (test_a_nul_in_any_text_field_is_never_a_500)."""
    return text.replace("\x00", "")


# Over-long: one character past each limit the forms have (a slug, a keyword, an owner, a title, a
# question, an SMS campaign, a tracker note, a feedback note, a description), and far past them.
over_long = st.sampled_from((65, 61, 121, 201, 501, 1_601, 2_001, 5_001, 10_001, 30_000)).map(
    lambda n: ("é<b>" * n)[:n])
text = st.one_of(hostile_text, hostile_text, st.sampled_from(MARKUP + SQL), over_long).map(no_nul)


def within_range(value: str) -> str:
    """Ids beyond PostgreSQL's integer (2**31 - 1) have their own test, below."""
    bare = value.strip().lstrip("+-")
    return "1" if bare.isdecimal() and (len(bare) > 10 or int(bare) >= 2**31) else value


# Numbers as forms send them: real-looking, out of range, not ASCII, not numbers at all.
number_text = st.one_of(st.sampled_from(("0", "-1", "1", "2", "999999", "2147483647", "1e3",
                                         " 1", "0x1", "", "0" * 18 + "7")),
                        st.sampled_from(ODD_DIGITS), text).map(within_range)
unknown_id = st.sampled_from((0, 999_999, 2**31 - 1))
# Date boxes (day, month, year): real parts, parts in other scripts, impossible dates.
date_part = st.one_of(st.sampled_from(("1", "02", "31", "13", "0", "-1", "2026", "0999", "9999",
                                       "99999", "²", "٣", "𝟘", " 2 ", "")), text).map(within_range)


def choice(*good: object) -> st.SearchStrategy[str]:
    """Mostly a value the form offers, sometimes anything at all."""
    return st.one_of(st.sampled_from([str(g) for g in good]), st.sampled_from([str(g) for g in good]),
                     text)


Form = list[tuple[str, str]]


def form(spec: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[Form]:
    """Each field sent once (usually), left out, or repeated."""
    def occurrences(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[Form]:
        once = st.lists(values, min_size=1, max_size=1)
        return st.one_of(once, once, once, st.just([]), st.lists(values, min_size=2, max_size=3)
                         ).map(lambda found: [(name, value) for value in found])
    return st.tuples(*(occurrences(n, s) for n, s in spec.items())).map(
        lambda groups: [pair for group in groups for pair in group])


def dates(*names: str) -> dict[str, st.SearchStrategy[str]]:
    return {f"{name}[{part}]": date_part for name in names for part in ("day", "month", "year")}


def segment(value: object) -> str:
    return quote(str(value), safe="")


def renamed_route(response: TestResponse) -> bool:
    """Whether a value in the URL held a "/" ("%2F" as sent): the server decodes it before
    routing, as WSGI does, so the request names another route: one that may not take POST (405,
    as HTTP says), or, where the "/" made an empty segment, the same path with it merged (308,
    Werkzeug's redirect). No harm done either way; found by Hypothesis in this test."""
    raw = response.request.environ["RAW_URI"].split("?")[0]
    return raw.count("/") != response.request.path.count("/")


def staff_location(response: TestResponse) -> SplitResult:
    """Where a redirect leads, checked to be a staff page on this site."""
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost"), response.headers["Location"]
    assert location.path.startswith("/staff"), response.headers["Location"]
    return location


def path_value(good: object) -> st.SearchStrategy[str]:
    """A value in the URL: mostly the real one, sometimes hostile (quoted)."""
    return st.one_of(st.just(str(good)), st.just(str(good)), text.filter(bool)).map(segment)


def path_id(good: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(good), st.just(good), unknown_id)


# -- the app, the world, the admin -------------------------------------------------------------

@pytest.fixture
def app(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app, its configuration editor saving into a directory of this test's own."""
    override = tmp_path / "operator-config"
    override.mkdir()
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(override))
    return hostile_app(runtime)


@dataclass(frozen=True)
class World:
    references: tuple[str, ...]
    tag_id: int
    tracker_id: int
    consultation_id: int
    admin_id: int
    target_id: int


@pytest.fixture
def world(runtime: Runtime) -> World:
    """Feedback (one that can be replied to), a tracker item, a consultation open for invites,
    people to invite, and a second account to change."""
    references = (ingest(runtime, "The GP never answers the phone", sender="+447700900301",
                         follow_up=True),
                  ingest(runtime, "The pharmacy was closed at lunchtime"))
    with runtime.sessions.begin() as session:
        tag_id = session.scalar(select(Tag.id).order_by(Tag.id).limit(1))
        assert tag_id is not None
        item = tracker_core.create_item(session, runtime.config, TrackerDetails(
            title="GP phone access", services=("gp",)), "amber", "", "staff:seed@example.org",
            FIXED_NOW)
        consultation = consultation_core.create_consultation(
            session, runtime.config, ConsultationDetails(
                slug=SLUG, title="Maternity: what matters",
                questions={"en": "What would make maternity care better?"}, sms_keyword="BABY"),
            "staff:seed@example.org", FIXED_NOW)
        consultation_core.open_consultation(session, consultation, "staff:seed@example.org",
                                            FIXED_NOW)
        session.flush()
        for number in (1, 2):
            add_person(session, runtime.intake.vault, number, tracker=item)
        ids = (item.id, consultation.id)
    admin, target = make_user(runtime, "admin"), make_user(runtime, "reviewer", "target@example.org")
    with runtime.sessions() as session:
        admin_id = session.scalar(select(StaffUser.id).where(StaffUser.email == admin))
        target_id = session.scalar(select(StaffUser.id).where(StaffUser.email == target))
    assert admin_id is not None and target_id is not None
    return World(references, tag_id, *ids, admin_id, target_id)


class Staff:
    """A signed-in admin with a valid CSRF token, checking every answer it gets."""

    def __init__(self, app: Flask, tally: Tally) -> None:
        self.client, self.tally, self.password = app.test_client(), tally, PASSWORD
        self.sign_in()

    def sign_in(self) -> None:
        self.client = self.client.application.test_client()
        assert sign_in(self.client, "admin@example.org", self.password).status_code == 302
        self.token = csrf_token(self.client, "/staff/account")

    def post(self, path: str, fields: Form | None = None, *, csrf: bool = True) -> TestResponse:
        data = MultiDict(fields or [])
        if csrf:
            data.add("csrf_token", self.token)
        return self.client.post(path, data=data)

    def check(self, response: TestResponse, allowed: Iterable[int] = ALLOWED) -> TestResponse:
        """Never a 5xx, never a traceback, nothing shown back as live markup; a 400 says what is
        wrong; a redirect stays on this site and the page it leads to is clean too."""
        self.tally.add("hostile_inputs")
        self.tally.add("server_errors", int(response.status_code >= 500))
        body, where = clean(response), f"POST {response.request.path}"
        assert response.status_code < 500, f"{where} answered {response.status_code}"
        if renamed_route(response):
            allowed = {*allowed, 308, 405}
        assert response.status_code in set(allowed), (where, response.status_code, body[:1000])
        if response.status_code == 308:  # to the same path with its empty segments merged
            assert "//" not in staff_location(response).path
        if response.status_code == 400 and response.mimetype == "text/html":
            assert any(words in body for words in CLEAR_400), (where, body[:1000])
        if response.status_code == 302:
            location = staff_location(response)
            if location.path != "/staff/login":
                page = self.client.get(location.path + (f"?{location.query}" if location.query else ""))
                self.tally.add("server_errors", int(page.status_code >= 500))
                assert page.status_code == 200, (f"{where} led to {location.path}",
                                                 page.status_code)
                clean(page)
        return response


def failures(staff: Staff, posts: Iterable[tuple[str, Form]]) -> list[str]:
    """Each post checked; what went wrong with each, so one failure does not hide the next."""
    failed = []
    for path, fields in posts:
        try:
            staff.check(staff.post(path, fields))
        except AssertionError as problem:
            failed.append(str(problem).splitlines()[0][:200])
    return failed


def clean(response: TestResponse) -> str:
    body = response.get_data(as_text=True)
    assert not any(words in body for words in TRACEBACK), body[:3000]
    if response.mimetype == "text/html":
        live = LIVE.search(body)
        assert live is None, body[max(0, live.start() - 300):live.end() + 300]
    return body


@pytest.fixture
def admin(app: Flask, world: World, reliability_tally: Tally) -> Staff:
    return Staff(app, reliability_tally)


def fuzz(runtime: Runtime, strategy: st.SearchStrategy[Any], check: Callable[[Any], None],
         examples: int = 20) -> None:
    """Run ``check`` on generated cases: fewer on PostgreSQL (the same code, a slower database)."""
    @settings(max_examples=examples if not is_postgres(runtime) else max(5, examples // 2),
              deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])
    @given(strategy)
    def run(case: Any) -> None:
        check(case)
    run()


# -- the item page and the queue's bulk actions ------------------------------------------------

def test_item_page_and_bulk_forms_never_make_a_500(admin: Staff, world: World,
                                                   runtime: Runtime) -> None:
    services, languages = runtime.config.service_ids, runtime.config.language_codes
    flags = [f.id for f in runtime.config.safety.flags]
    case = st.fixed_dictionaries({
        "reference": path_value(world.references[0]),
        "tag_id": path_id(world.tag_id),
        "status": form({"status": choice("new", "in-review", "actioned", "closed")}),
        "tags": form({"kind": choice("service", "language", "need", "flag", "theme"),
                      "operation": choice("set", "add"), "service": choice(*services),
                      "language": choice(*languages), "need": choice("bsl", "interpreter:ur"),
                      "flag": choice(*flags)}),
        "tag": form({"operation": choice("confirm", "remove")}),
        "links": form({"target": choice("tracker", "consultation"), "operation": choice("add", "remove"),
                       "tracker": st.one_of(st.just(str(world.tracker_id)), number_text),
                       "consultation": st.one_of(st.just(str(world.consultation_id)), number_text)}),
        "notes": form({"note": text}),
        "reply": form({"reply": text, "language": choice(*languages)}),
        "bulk": bulk_form(world),
    })

    def check(case: dict[str, Any]) -> None:
        base = f"/staff/feedback/{case['reference']}"
        admin.check(admin.post(f"{base}/original"))
        admin.check(admin.post(f"{base}/status", case["status"]))
        admin.check(admin.post(f"{base}/tags", case["tags"]))
        admin.check(admin.post(f"{base}/tags/{case['tag_id']}", case["tag"]))
        admin.check(admin.post(f"{base}/tags/confirm-all"))
        admin.check(admin.post(f"{base}/links", case["links"]))
        admin.check(admin.post(f"{base}/notes", case["notes"]))
        admin.check(admin.post(f"{base}/reply", case["reply"]))
        admin.check(admin.post("/staff/queue/bulk", case["bulk"]))
    fuzz(runtime, case, check, 10)


def bulk_form(world: World) -> st.SearchStrategy[Form]:
    """The queue's bulk form; sometimes more items than one request may change."""
    fields = form({
        "reference": st.one_of(st.sampled_from(world.references), text),
        "action": choice("confirm-tags", "set-status", "link-tracker", "link-consultation"),
        "status": choice("new", "closed"),
        "tracker": st.one_of(st.just(str(world.tracker_id)), number_text),
        "consultation": st.one_of(st.just(str(world.consultation_id)), number_text),
        "back": st.one_of(st.sampled_from(("", "status=new&page=2", "page=²", "q=" + SCRIPT,
                                           "since=2026-02-30", "tracker=9&page=99999")), text),
    })
    many = st.lists(st.sampled_from(world.references), min_size=201, max_size=205).map(
        lambda refs: [("reference", r) for r in refs] + [("action", "confirm-tags")])
    return st.one_of(fields, fields, fields, many)


# -- the tracker -------------------------------------------------------------------------------

def test_tracker_forms_never_make_a_500(admin: Staff, world: World, runtime: Runtime) -> None:
    services = runtime.config.service_ids
    details = {"title": text, "description": text, "services": choice(*services), "owner": text,
               **dates("start_date", "due_date")}
    case = st.fixed_dictionaries({
        "item": path_id(world.tracker_id),
        "new": form({**details, "rating": choice("red", "amber", "green"), "note": text}),
        "edit": form(details),
        "status": form({"status": choice("active", "paused", "completed")}),
        "rating": form({"rating": choice("red", "amber", "green"), "note": text}),
        "progress": st.sampled_from((*PROGRESS_FIELDS, "title", "notes", "%3Cscript%3E")),
        "progress_form": form({name: text for name in PROGRESS_FIELDS}),
        "links": form({"references": st.one_of(
            st.lists(st.one_of(st.sampled_from(world.references), text), max_size=30)
            .map(", ".join), text)}),
        "remove": path_value(world.references[0]),
    })

    def check(case: dict[str, Any]) -> None:
        admin.check(admin.post("/staff/tracker/new", case["new"]))
        base = f"/staff/tracker/{case['item']}"
        admin.check(admin.post(f"{base}/edit", case["edit"]))
        admin.check(admin.post(f"{base}/status", case["status"]))
        admin.check(admin.post(f"{base}/rating", case["rating"]))
        admin.check(admin.post(f"{base}/progress/{case['progress']}", case["progress_form"]))
        admin.check(admin.post(f"{base}/links", case["links"]))
        admin.check(admin.post(f"{base}/links/{case['remove']}/remove"))
    fuzz(runtime, case, check, 10)


# -- consultations and campaigns ---------------------------------------------------------------

def test_consultation_and_campaign_forms_never_make_a_500(admin: Staff, world: World,
                                                          runtime: Runtime) -> None:
    config = runtime.config
    details = form({"title": text, "slug": choice("gp-access-2026", SLUG, "a", "-x-", "UPPER"),
                    "summary": text, "services": choice(*config.service_ids),
                    "keywords": text, "sms_keyword": choice("BABY", "GP2", "STOP", ""),
                    **{f"question_{code}": text for code in config.language_codes},
                    **dates("opens", "closes")})
    texts = {f"text-{code}": st.one_of(
        st.just("NHS: tell us about {title} at {link}. Reply STOP to opt out."),
        st.sampled_from(("{unknown}", "{link", "{{title}}", "{title!r}", "{0}", "{title.__class__}")),
        text) for code in config.language_codes}
    campaign = form({**texts, "services": choice(*config.service_ids),
                     "languages": choice(*config.language_codes),
                     "fingerprint": st.one_of(st.just("0" * 64), text)})
    case = st.fixed_dictionaries({"slug": path_value(SLUG), "new": details, "edit": details,
                                  "change": st.sampled_from(("open", "close", "reported")),
                                  "item": path_id(world.tracker_id), "campaign": campaign})

    def check(case: dict[str, Any]) -> None:
        admin.check(admin.post("/staff/consultations/new", case["new"]))
        base = f"/staff/consultations/{case['slug']}"
        admin.check(admin.post(f"{base}/edit", case["edit"]))
        for base in (f"/staff/consultations/{case['slug']}/invite",
                     f"/staff/tracker/{case['item']}/you-said-we-did"):
            for step in ("", "/preview", "/send"):
                admin.check(admin.post(base + step, case["campaign"]))
        # Last: opening, closing or reporting changes what the campaigns may do next time.
        admin.check(admin.post(f"/staff/consultations/{case['slug']}/{case['change']}"))
    fuzz(runtime, case, check, 6)


# -- users, your account, privacy, configuration, signing in and out ---------------------

def test_admin_account_privacy_configuration_and_sign_in_forms_never_make_a_500(
        app: Flask, admin: Staff, world: World, runtime: Runtime) -> None:
    """Sign-in attempts each come from an address of their own (10 a minute from one address)."""
    shipped = {name: editing.current_text(name, None) for name in CONFIG_FILES}
    addresses = itertools.count(1)
    user_id = st.one_of(st.just(world.target_id), st.just(world.target_id), st.just(world.admin_id),
                        unknown_id)
    case = st.fixed_dictionaries({
        "new": form({"email": st.one_of(st.sampled_from(("new@example.org", "TARGET@example.org",
                                                         "a@b", "@", "x@example.org\n")), text),
                     "display_name": text, "role": choice("viewer", "reviewer", "admin")}),
        "user": user_id,
        "role": form({"role": choice("viewer", "reviewer", "admin")}),
        "active": form({"active": choice("yes", "no")}),
        "password": form({"current_password": st.one_of(st.just(""), text),
                          "new_password": st.one_of(st.just("another long pass phrase"), text)}),
        "right_password": st.booleans(),
        **privacy_configuration_and_sign_in(world),
    })

    def check(case: dict[str, Any]) -> None:
        admin.check(admin.post("/staff/users/new", case["new"]))
        base = f"/staff/users/{case['user']}"
        admin.check(admin.post(f"{base}/role", case["role"]))
        admin.check(admin.post(f"{base}/active", case["active"]))
        admin.check(admin.post(f"{base}/unlock"))
        admin.check(admin.post(f"{base}/password"))
        admin.check(admin.post("/staff/account/api-token"))
        fields = case["password"]
        if case["right_password"]:
            fields = [("current_password", admin.password),
                      *(pair for pair in fields if pair[0] != "current_password")]
        changed = admin.check(admin.post("/staff/account/password", fields))
        if changed.status_code == 302:        # a good new password: signed out, so sign in again
            admin.password = next(value for name, value in fields if name == "new_password")
            admin.sign_in()
        admin.check(admin.post(case["privacy"], case["person"]))
        toml = case["toml"]
        if case["append"] and case["file"] in shipped:   # the real file with something added
            toml = shipped[case["file"]] + "\n" + toml
        admin.check(admin.post(f"/staff/configuration/{case['file']}", [
            ("toml", toml), ("based_on", case["based_on"]), ("action", case["action"])]))
        visitor, number = app.test_client(), next(addresses)
        visitor.environ_base["REMOTE_ADDR"] = f"10.9.{number // 250}.{number % 250 + 1}"
        token = csrf_token(visitor, "/staff/login")
        admin.check(visitor.post("/staff/login",
                                 data=MultiDict([*case["sign_in"], ("csrf_token", token)])), {400})
        admin.check(visitor.post("/staff/logout", data={"csrf_token": token}), {302})
    fuzz(runtime, case, check, 12)


def privacy_configuration_and_sign_in(world: World) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "privacy": st.sampled_from(("/staff/privacy/person", "/staff/privacy/person/access",
                                    "/staff/privacy/person/erase")),
        "person": form({
            "kind": choice("phone", "telegram", "email", "reference", "pseudonym"),
            "value": st.one_of(st.sampled_from((world.references[1], "+447700900301",
                                                "07700 900301", "5550001234", "P-7K3M9Q",
                                                "a@example.org", "FB-", "+44", "0" * 40)),
                               number_text, text),
            "confirm": choice("yes", "no"), "reason": text}),
        "file": st.one_of(st.sampled_from(CONFIG_FILES), st.sampled_from(CONFIG_FILES),
                          text.filter(bool).map(segment)),
        "toml": st.one_of(text, st.sampled_from(("", "[", "a = 1", "x = '''" + SCRIPT,
                                                 "[[services]]\nid = '" + SCRIPT + "'",
                                                 'title = "\\ud800"', "a = 1e309",
                                                 "a = 9999-99-99", "= 1"))),
        "append": st.booleans(),
        "based_on": st.one_of(st.just(""), st.just("0" * 64), text),
        "action": choice("check", "save"),
        "sign_in": form({"email": st.one_of(st.sampled_from((
            "target@example.org", "TARGET@EXAMPLE.ORG ", "nobody@example.org")), text),
            "password": st.one_of(st.just("wrong password"), text)}),
    }


# -- NUL (PostgreSQL cannot store it), ids beyond the database's integer, years beyond a date ----



def test_a_nul_in_any_text_field_is_never_a_500(admin: Staff, world: World, runtime: Runtime,
                                                request: pytest.FixtureRequest) -> None:
    nul = "GP\x00 phone " + SCRIPT
    base, item = f"/staff/feedback/{world.references[0]}", f"/staff/tracker/{world.tracker_id}"
    failed = failures(admin, [
        (f"{base}/notes", [("note", nul)]),
        (f"{base}/status", [("status", nul)]),
        (f"{base}/reply", [("reply", nul), ("language", "en")]),
        ("/staff/tracker/new", [("title", nul), ("rating", "red"), ("note", nul)]),
        (f"{item}/rating", [("rating", "red"), ("note", nul)]),
        (f"{item}/progress/next_steps", [("next_steps", nul)]),
        (f"{item}/links", [("references", nul)]),
        ("/staff/consultations/new", [("title", nul), ("slug", "nul-test"), ("question_en", nul)]),
        ("/staff/users/new", [("email", "nul\x00@example.org"), ("display_name", nul),
                              ("role", "viewer")]),
        ("/staff/privacy/person", [("kind", "email"), ("value", "a\x00@example.org")]),
        ("/staff/configuration/pipeline.toml", [("toml", nul), ("action", "check")]),
        ("/staff/queue/bulk", [("reference", nul), ("action", "confirm-tags")])])
    assert not failed, "\n".join(failed)


def test_an_id_beyond_the_databases_integer_is_never_a_500(admin: Staff, world: World) -> None:
    reference, posts = world.references[0], []
    for huge in (2**31, 10**30):
        base = f"/staff/feedback/{reference}"
        for target in ("tracker", "consultation"):
            posts += [(f"{base}/links", [("target", target), (target, str(huge))]),
                      (f"{base}/links", [("target", target), (target, str(huge)),
                                         ("operation", "remove")]),
                      ("/staff/queue/bulk", [("reference", reference), ("action", f"link-{target}"),
                                             (target, str(huge))])]
        fields = [("status", "paused"), ("rating", "red"), ("note", "x"), ("next_steps", "x"),
                  ("references", reference), ("role", "viewer"), ("active", "no"),
                  ("text-en", "NHS: {title}. STOP")]
        posts += [(path, fields) for path in (
            f"/staff/tracker/{huge}/edit", f"/staff/tracker/{huge}/status",
            f"/staff/tracker/{huge}/rating", f"/staff/tracker/{huge}/progress/next_steps",
            f"/staff/tracker/{huge}/links", f"/staff/tracker/{huge}/links/{reference}/remove",
            f"/staff/tracker/{huge}/you-said-we-did", f"/staff/tracker/{huge}/you-said-we-did/preview",
            f"/staff/tracker/{huge}/you-said-we-did/send", f"/staff/users/{huge}/role",
            f"/staff/users/{huge}/active", f"/staff/users/{huge}/unlock",
            f"/staff/users/{huge}/password", f"{base}/tags/{huge}")]
    failed = failures(admin, posts)
    assert not failed, "\n".join(failed)


def test_a_year_too_big_for_a_date_is_a_clear_error(admin: Staff, world: World) -> None:
    answers = []
    for path, name in (("/staff/tracker/new", "due_date"),
                       (f"/staff/tracker/{world.tracker_id}/edit", "start_date"),
                       ("/staff/consultations/new", "closes"),
                       (f"/staff/consultations/{SLUG}/edit", "opens")):
        fields = [("title", "A title"), ("slug", "big-year"), ("question_en", "Why?"),
                  ("rating", "red"), (f"{name}[day]", "1"), (f"{name}[month]", "1"),
                  (f"{name}[year]", "9" * 12)]
        response = admin.post(path, fields)
        admin.tally.add("hostile_inputs")
        answers.append((path, response.status_code,
                        "must be a real date" in response.get_data(as_text=True)))
    assert all(status == 400 and said for _, status, said in answers), answers


# -- what is shown back is escaped -------------------------------------------------------------

def test_markup_typed_into_forms_comes_back_escaped(admin: Staff, world: World,
                                                    runtime: Runtime) -> None:
    """Not vacuous: each payload is shown on a page, escaped."""
    base, item = f"/staff/feedback/{world.references[0]}", f"/staff/tracker/{world.tracker_id}"
    posts = [
        (f"{base}/notes", [("note", SCRIPT)], base),
        ("/staff/tracker/new", [("title", SCRIPT), ("rating", "red"), ("note", SCRIPT)], None),
        (f"{item}/progress/next_steps", [("next_steps", SCRIPT)], item),
        (f"{item}/links", [("references", SCRIPT)], None),
        ("/staff/consultations/new", [("title", SCRIPT), ("slug", "escaped"),
                                      ("question_en", SCRIPT)], "/staff/consultations/escaped"),
        ("/staff/users/new", [("email", "shown@example.org"), ("display_name", SCRIPT),
                              ("role", "viewer")], "/staff/users"),
        ("/staff/configuration/pipeline.toml", [("toml", SCRIPT), ("action", "check")], None),
        ("/staff/users/new", [("email", SCRIPT), ("display_name", "x"), ("role", "viewer")], None),
    ]
    for path, fields, page in posts:
        response = admin.check(admin.post(path, fields))
        shown = admin.client.get(page) if page else response
        if response.status_code == 302 and page is None:
            shown = admin.client.get(response.headers["Location"])
        html = clean(shown)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, (path, html[:2000])


# -- no CSRF token, no change --------------------------------------------------------------------

def snapshot(runtime: Runtime) -> dict[str, object]:
    """Everything a staff POST can change, in counts and states."""
    with runtime.sessions() as session:
        counts = {model.__name__: session.scalar(select(func.count()).select_from(model))
                  for model in (AuditEvent, FeedbackNote, Tag, FeedbackTrackerLink,
                                FeedbackConsultationLink, TrackerItem, RagRatingChange,
                                Consultation, Campaign, OutboundMessage, StaffUser)}
        return {**counts,
                "feedback": session.execute(select(Feedback.reference, Feedback.status,
                                                   Feedback.text).order_by(Feedback.id)).all(),
                "tags": session.execute(select(Tag.id, Tag.source, Tag.retracted_at)
                                        .order_by(Tag.id)).all(),
                "tracker": session.execute(select(TrackerItem.title, TrackerItem.status,
                                                  TrackerItem.rag_rating, TrackerItem.next_steps)
                                           ).all(),
                "consultations": session.execute(select(Consultation.title, Consultation.status)
                                                 ).all(),
                "users": session.execute(select(StaffUser.email, StaffUser.role,
                                                StaffUser.is_active, StaffUser.password_hash,
                                                StaffUser.api_token_hash, StaffUser.session_version)
                                         .order_by(StaffUser.id)).all()}


def test_every_staff_post_route_refuses_a_missing_csrf_token(
        app: Flask, admin: Staff, world: World, runtime: Runtime, reliability_tally: Tally) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("staff.") and "POST" in (rule.methods or ())}
    assert rules == STAFF_POSTS, ("routes not covered:", rules - STAFF_POSTS)
    reference, item, user = world.references[0], world.tracker_id, world.target_id
    good = {
        "/staff/login": [("email", "target@example.org"), ("password", PASSWORD)],
        "/staff/logout": [],
        "/staff/account/password": [("current_password", PASSWORD),
                                    ("new_password", "another long pass phrase")],
        "/staff/account/api-token": [],
        "/staff/feedback/<reference>/original": [],
        "/staff/feedback/<reference>/status": [("status", "closed")],
        "/staff/feedback/<reference>/tags": [("kind", "service"), ("operation", "set"),
                                             ("service", "pharmacy")],
        "/staff/feedback/<reference>/tags/<int:tag_id>": [("operation", "remove")],
        "/staff/feedback/<reference>/tags/confirm-all": [],
        "/staff/feedback/<reference>/links": [("target", "tracker"), ("tracker", str(item))],
        "/staff/feedback/<reference>/notes": [("note", "Rang the practice")],
        "/staff/feedback/<reference>/reply": [("reply", "Thank you"), ("language", "en")],
        "/staff/queue/bulk": [("reference", reference), ("action", "set-status"),
                              ("status", "closed")],
        "/staff/tracker/new": [("title", "Another item"), ("rating", "green")],
        "/staff/tracker/<int:item_id>/edit": [("title", "Renamed"), ("services", "gp")],
        "/staff/tracker/<int:item_id>/status": [("status", "paused")],
        "/staff/tracker/<int:item_id>/rating": [("rating", "red"), ("note", "Worse")],
        "/staff/tracker/<int:item_id>/progress/<name>": [("next_steps", "Meet")],
        "/staff/tracker/<int:item_id>/links": [("references", world.references[1])],
        "/staff/tracker/<int:item_id>/links/<reference>/remove": [],
        "/staff/consultations/new": [("title", "New one"), ("slug", "new-one"),
                                     ("question_en", "Why?")],
        "/staff/consultations/<slug>/edit": [("title", "Renamed"), ("slug", SLUG),
                                             ("question_en", "Why?")],
        "/staff/consultations/<slug>/open": [],
        "/staff/consultations/<slug>/close": [],
        "/staff/consultations/<slug>/reported": [],
        "/staff/consultations/<slug>/invite": [("text-en", "NHS: {title} {link}. STOP")],
        "/staff/consultations/<slug>/invite/preview": [("text-en", "NHS: {title} {link}. STOP")],
        "/staff/consultations/<slug>/invite/send": [("text-en", "NHS: {title} {link}. STOP")],
        "/staff/tracker/<int:item_id>/you-said-we-did": [("text-en", "NHS: {title}. STOP")],
        "/staff/tracker/<int:item_id>/you-said-we-did/preview": [("text-en", "NHS: {title}. STOP")],
        "/staff/tracker/<int:item_id>/you-said-we-did/send": [("text-en", "NHS: {title}. STOP")],
        "/staff/users/new": [("email", "new@example.org"), ("display_name", "New"),
                             ("role", "viewer")],
        "/staff/users/<int:user_id>/role": [("role", "admin")],
        "/staff/users/<int:user_id>/active": [("active", "no")],
        "/staff/users/<int:user_id>/unlock": [],
        "/staff/users/<int:user_id>/password": [],
        "/staff/privacy/person": [("kind", "reference"), ("value", reference)],
        "/staff/privacy/person/access": [("kind", "reference"), ("value", reference)],
        "/staff/privacy/person/erase": [("kind", "reference"), ("value", reference),
                                        ("confirm", "yes")],
        "/staff/configuration/<name>": [("toml", editing.current_text("pipeline.toml", None)),
                                        ("action", "save")],
    }
    assert set(good) == STAFF_POSTS
    values = {"reference": reference, "tag_id": world.tag_id, "item_id": item, "name": "next_steps",
              "slug": SLUG, "user_id": user}
    before = snapshot(runtime)
    for rule, fields in good.items():
        path = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)
        if rule == "/staff/configuration/<name>":
            path = "/staff/configuration/pipeline.toml"
        response = admin.check(admin.post(path, fields, csrf=False), {400})
        assert "Your session has expired" in response.get_data(as_text=True), path
    assert snapshot(runtime) == before
    reliability_tally.add("records_checked", len(good))
    # Still signed in, and the same forms with the token do change things.
    assert admin.check(admin.post(f"/staff/feedback/{reference}/notes",
                                  good["/staff/feedback/<reference>/notes"])).status_code == 302
    assert snapshot(runtime) != before
