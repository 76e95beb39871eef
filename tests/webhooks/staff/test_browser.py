"""The staff workspace in a real browser, end to end: headless Chromium (Playwright) against a real
server on 127.0.0.1. A reviewer signs in with the keyboard only, filters the queue to Urdu feedback
that needs an interpreter, corrects a service tag, links three items to a tracker item, rates it
amber with next steps, sends "you said, we did" to the people who agreed to hear from us, and opens
the printable report. Then the database is checked for each step and its audit event, and every
page is checked with axe-core. Screenshots go to test-artifacts/screenshots/.

SQLite only, one server for the module, to keep this quick."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.message import Answers, Consent, IncomingMessage
from intake.settings import Settings
from intake.staff import consultations as consultations_core
from intake.staff.accounts import create_user
from intake.staff.consultations import ConsultationDetails
from intake.storage import migrate
from intake.storage.database import make_engine
from intake.storage.models import (
    AuditEvent,
    Feedback,
    FeedbackTrackerLink,
    OutboundMessage,
    RagRatingChange,
    TrackerItem,
)
from tests.conftest import FIXED_NOW, settings_env
from tests.intake.staff.synthetic_feedback import add_feedback
from tests.intake.synthetic_people import phone
from tests.webhooks.browser import CHROMIUM, SCREENSHOTS, chromium, isolated_context, serving
from webhooks import create_app
from webhooks.runtime import CHAT_KEY
from webhooks.sms.settings import TwilioSettings

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason=f"the browser tests drive Debian Chromium at {CHROMIUM}, "
                                       "which is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright",
                               reason="axe-playwright-python is not installed")
Browser, BrowserContext, Page = sync_api.Browser, sync_api.BrowserContext, sync_api.Page

ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 20_000

REVIEWER = "reviewer@example.org"
PASSWORD = "correct horse battery staple"
ACTOR = f"staff:{REVIEWER}"
TRACKER_TITLE = "Interpreters at GP surgeries"
NEXT_STEPS = "Practice managers to book Urdu interpreters when the appointment is made."
RATING_NOTE = "Two practices still cancel appointments when no interpreter comes."
TEXT_EN = "You told us about GP interpreters ({reference}). Surgeries now book one. Reply STOP to stop."
TEXT_UR = "آپ نے ہمیں جی پی پر ترجمان کے بارے میں بتایا۔ اب سرجری ترجمان بک کرتی ہے۔ Reply STOP to stop."


@dataclass(frozen=True)
class Person:
    """One piece of feedback as it arrives by SMS, and whether its sender agreed to follow-ups."""

    key: str
    text: str
    number: int | None
    consents: bool | None   # None: no consent answer given


URDU = [
    Person("SM-ur-1", "جی پی کی سرجری میں مجھے اردو ترجمان کی ضرورت تھی لیکن کوئی ترجمان نہیں ملا۔", 1, True),
    Person("SM-ur-2", "میری والدہ کو جی پی کے پاس ترجمان چاہیے تھا، انہیں واپس بھیج دیا گیا۔", 2, True),
    Person("SM-ur-3", "جی پی نے ترجمان کے بغیر ملاقات کی اور مجھے کچھ سمجھ نہیں آیا۔", 3, False),
    Person("SM-ur-4", "جی پی پر ترجمان کبھی وقت پر نہیں آتا۔", None, None),
]
ENGLISH = [
    Person("SM-en-1", "I needed an interpreter at the GP but none came.", 11, True),
    Person("SM-en-2", "The pharmacy was quick and friendly, thank you.", 12, True),
    Person("SM-en-3", "Waited three weeks for a GP appointment.", None, None),
]


@dataclass(frozen=True)
class Server:
    base_url: str
    runtime: Runtime
    references: dict[str, str]   # Person.key -> feedback reference
    tracker_id: int
    app: Flask

    def url(self, path: str) -> str:
        return self.base_url + path


def ingest(runtime: Runtime, person: Person) -> str:
    consents = () if person.consents is None else (
        Consent("follow-up", person.consents, "2026-11-en-1"),)
    result = runtime.intake.ingest(IncomingMessage(
        "sms", person.key, person.text,
        sender=phone(person.number) if person.number is not None else None,
        received_at=FIXED_NOW, answers=Answers(consents=consents)))
    assert result.reference, result
    return result.reference


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Iterator[Server]:
    """The app on a real port: a migrated SQLite file, feedback, a tracker item, a reviewer."""
    root = tmp_path_factory.mktemp("staff-browser")
    url = f"sqlite:///{root / 'intake-staff-browser.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = Settings.from_env(settings_env(url, root / "instance"))
    runtime = build_runtime(settings=settings, config=config, engine=engine)
    runtime.intake.clock = lambda: FIXED_NOW
    references = {person.key: ingest(runtime, person) for person in (*URDU, *ENGLISH)}
    with runtime.sessions.begin() as session:
        create_user(session, REVIEWER, "reviewer", PASSWORD, FIXED_NOW, display_name="Rita Reviewer")
        tracker = TrackerItem(title=TRACKER_TITLE, services=["gp"], owner="Primary care team",
                              rag_rating="red")
        session.add(tracker)
        session.flush()
        tracker_id = tracker.id
    app = create_app({}, runtime=runtime)
    try:
        with serving(app, "staff-browser-server") as base_url:
            yield Server(base_url, runtime, references, tracker_id, app)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def new_context(browser: Browser, server: Server) -> BrowserContext:
    return isolated_context(browser, server.base_url, viewport={"width": 1280, "height": 900},
                            action_ms=ACTION_TIMEOUT_MS, navigation_ms=NAVIGATION_TIMEOUT_MS)


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = new_context(browser, server)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert not context.csp_violations, "\n".join(context.csp_violations)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"staff-{name}.png"), full_page=True,
                    timeout=ACTION_TIMEOUT_MS)


def focused(page: Page) -> dict[str, str]:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e ? e.tagName.toLowerCase() : '', id: (e && e.id) || '',
                name: (e && e.getAttribute('name')) || ''};
    }""")


def press_until(page: Page, key: str, done: Callable[[], bool], limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if done():
            return
    raise AssertionError(f"{key} pressed {limit} times without reaching the goal; "
                         f"focus is on {focused(page)}")


def heading(page: Page) -> str:
    return page.locator("h1").first.inner_text().strip()


def click_and_wait(page: Page, locator: object) -> None:
    """Click something that submits a form or follows a link, and wait for the new page."""
    with page.expect_navigation():
        locator.click()  # type: ignore[attr-defined]
    page.wait_for_load_state("load")


def queue_references(page: Page) -> set[str]:
    links = page.locator("table#reference tbody a")
    return {links.nth(i).inner_text().strip() for i in range(links.count())}


def test_a_reviewer_acts_on_urdu_interpreter_feedback_end_to_end(page: Page, server: Server) -> None:
    axe = axe_sync.Axe()
    violations: dict[str, list[tuple[str, str, list[object]]]] = {}

    def check_axe(name: str) -> None:
        page.wait_for_load_state("load")
        screenshot(page, name)
        results = axe.run(page)
        found = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]])
                 for v in results.response["violations"]]
        if found:
            violations[name] = found

    runtime = server.runtime
    refs = server.references
    urdu = {refs[p.key] for p in URDU}
    linked = [refs["SM-ur-1"], refs["SM-ur-2"], refs["SM-ur-3"]]
    gp, pharmacy = runtime.config.service("gp"), runtime.config.service("pharmacy")
    assert gp is not None and pharmacy is not None

    # -- sign in with the keyboard only --------------------------------------------------------
    page.goto(server.url("/staff/login"))
    assert heading(page) == "Sign in to the engagement workspace"
    press_until(page, "Tab", lambda: focused(page)["id"] == "email")
    page.keyboard.type(REVIEWER)
    press_until(page, "Tab", lambda: focused(page)["id"] == "password", limit=5)
    page.keyboard.type(PASSWORD)
    screenshot(page, "01-sign-in-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/staff/login" not in page.url, f"still on the sign-in page: {page.url}"

    # -- the queue, filtered with its own controls -----------------------------------------------
    if "/staff/queue" not in page.url:
        click_and_wait(page, page.get_by_role("link", name=re.compile(r"queue", re.I)).first)
    page.wait_for_url("**/staff/queue**")
    assert heading(page) == "Feedback queue"
    filters = page.get_by_role("search", name="Filter the queue")
    filters.get_by_label("Language", exact=True).select_option("ur")
    filters.get_by_label("Communication need", exact=True).select_option("interpreter")
    click_and_wait(page, filters.get_by_role("button", name="Apply filters"))
    assert re.search(r"[?&]language=ur(&|$)", page.url) and re.search(r"[?&]need=interpreter(&|$)",
                                                                      page.url), page.url
    assert queue_references(page) == urdu
    assert page.get_by_role("status").inner_text().startswith(f"Showing 1 to {len(urdu)} of {len(urdu)}")
    filtered_queue = page.url
    check_axe("02-queue-urdu-interpreter")

    # -- an item: correct its service tag, link it to the tracker item ---------------------------
    click_and_wait(page, page.get_by_role("link", name=linked[0], exact=True))
    assert heading(page) == f"Feedback {linked[0]}"
    check_axe("03-item")
    page.get_by_text("Correct the tags", exact=True).click()
    services = page.get_by_role("group", name="Services")
    services.get_by_label(gp.name, exact=True).wait_for(state="visible")
    assert services.get_by_label(gp.name, exact=True).is_checked()
    services.get_by_label(gp.name, exact=True).uncheck()
    services.get_by_label(pharmacy.name, exact=True).check()
    click_and_wait(page, page.get_by_role("button", name="Save services"))
    screenshot(page, "04-item-tag-corrected")
    assert page.get_by_role("cell", name=re.compile(f"Service: {re.escape(pharmacy.name)}")).count() == 1

    for number, reference in enumerate(linked):
        if number:
            page.goto(filtered_queue)
            click_and_wait(page, page.get_by_role("link", name=reference, exact=True))
            assert heading(page) == f"Feedback {reference}"
        page.get_by_label("Link to a tracker item", exact=True).select_option(label=TRACKER_TITLE)
        click_and_wait(page, page.get_by_role("button", name="Link to tracker item", exact=True))
        page.get_by_role("listitem").filter(has_text=f"Tracker item: {TRACKER_TITLE}").wait_for()
        screenshot(page, f"05-item-linked-{number + 1}")

    # -- the tracker item: amber, with next steps ------------------------------------------------
    page.goto(server.url("/staff/tracker"))
    click_and_wait(page, page.get_by_role("link", name=TRACKER_TITLE).first)
    assert heading(page) == TRACKER_TITLE
    assert page.locator("#linked + p").inner_text().startswith("3 feedback items linked")
    page.get_by_label("Next steps", exact=True).fill(NEXT_STEPS)
    click_and_wait(page, page.get_by_role("button", name="Save next steps"))
    assert page.get_by_label("Next steps", exact=True).input_value() == NEXT_STEPS
    page.get_by_role("group", name="New rating").get_by_label("Amber", exact=True).check()
    page.get_by_label("Why this rating", exact=True).fill(RATING_NOTE)
    click_and_wait(page, page.get_by_role("button", name="Update rating"))
    history = page.locator("table#rating-history tbody")
    history.get_by_text(RATING_NOTE).wait_for()
    assert "Amber" in history.locator("tr").first.inner_text()
    check_axe("06-tracker-item")

    # -- "you said, we did": compose, preview, send ----------------------------------------------
    click_and_wait(page, page.get_by_role("link", name=re.compile(r"you said, we did")))
    page.get_by_role("textbox", name=re.compile(r"^English")).fill(TEXT_EN)
    page.get_by_role("textbox", name=re.compile(r"^Urdu")).fill(TEXT_UR)
    screenshot(page, "07-campaign-compose")
    click_and_wait(page, page.get_by_role("button", name="Preview", exact=True))
    assert heading(page) == "Check before sending", page.locator(".nhsuk-error-summary").all_inner_texts()
    assert page.locator("#recipient-count").inner_text().strip() == "2"
    assert page.locator("#left-out-no-consent").count() == 1
    check_axe("08-campaign-preview")
    click_and_wait(page, page.get_by_role("button", name=re.compile(r"^(Send it to|Queue it for) 2 people$")))
    assert page.locator("#queued").inner_text().strip() == "2"
    screenshot(page, "09-campaign-sent")

    # -- the report and its printable page ------------------------------------------------------
    page.goto(server.url("/staff/reports"))
    assert heading(page).startswith("Assurance report")
    check_axe("10-report")
    click_and_wait(page, page.get_by_role("link", name="Printable report (A4, one file)"))
    check_axe("11-report-printable")

    # -- what the database holds ----------------------------------------------------------------
    with runtime.sessions() as session:
        by_reference = {f.reference: f for f in session.scalars(select(Feedback))}
        corrected = by_reference[linked[0]]
        active_services = [(t.value, t.source, t.created_by) for t in corrected.tags
                           if t.kind == "service" and t.retracted_at is None]
        assert active_services == [("pharmacy", "staff", ACTOR)]
        assert [t.retracted_by for t in corrected.tags
                if t.kind == "service" and t.value == "gp"] == [ACTOR]

        tracker_links = session.scalars(select(FeedbackTrackerLink).where(
            FeedbackTrackerLink.tracker_item_id == server.tracker_id)).all()
        ids = {by_reference[r].id for r in linked}
        assert {link.feedback_id for link in tracker_links} == ids
        assert [link.linked_by for link in tracker_links] == [ACTOR] * 3

        ratings = session.scalars(select(RagRatingChange).where(
            RagRatingChange.tracker_item_id == server.tracker_id)).all()
        assert [(r.rating, r.note, r.changed_by) for r in ratings] == [("amber", RATING_NOTE, ACTOR)]
        tracker = session.get(TrackerItem, server.tracker_id)
        assert tracker is not None
        assert (tracker.rag_rating, tracker.next_steps) == ("amber", NEXT_STEPS)

        outbound = session.scalars(select(OutboundMessage)).all()
        consenting = {by_reference[refs["SM-ur-1"]].contributor_id,
                      by_reference[refs["SM-ur-2"]].contributor_id}
        assert {m.contributor_id for m in outbound} == consenting
        assert len(outbound) == 2
        assert all(m.campaign_id is not None for m in outbound)

        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        actions = [(e.action, e.actor) for e in events]
        # the sign-in's own actor is checked (and known to be wrong) in the test below
        assert any(e.action == "staff.login" and e.actor == ACTOR for e in events), actions
        for action in ("tag.corrected", "tracker.progress-updated", "tracker.rated",
                       "campaign.you-said-we-did-sent", "report.exported"):
            assert (action, ACTOR) in actions, f"no {action} by {ACTOR}: {actions}"
        link_events = [e for e in events if e.actor == ACTOR
                       and e.action in ("feedback.linked", "tracker.feedback-linked")]
        assert len(link_events) == 3, actions

    assert violations == {}, "axe violations: " + "; ".join(
        f"{name}: {found}" for name, found in violations.items())


def sign_in_with_the_mouse(page: Page, server: Server) -> None:
    page.goto(server.url("/staff/login"))
    page.get_by_label("Email address", exact=True).fill(REVIEWER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="Sign in", exact=True))
    page.wait_for_url("**/staff/queue**")


# Regression: sign-ins were audited with the bare email while every other event said staff:<email>.
def test_the_sign_in_is_audited_with_the_staff_actor(page: Page, server: Server) -> None:
    sign_in_with_the_mouse(page, server)
    with server.runtime.sessions() as session:
        latest = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login")
                                 .order_by(AuditEvent.id.desc())).first()
    assert latest is not None
    assert latest.actor == ACTOR


# -- every other staff page, as an admin -------------------------------------------------------

ADMIN = "admin@example.org"
ADMIN_NAME = "Ada Admin"
CONSULTATION_SLUG = "maternity-2026"
CONSULTATION_TITLE = "Maternity: what matters"
TELEGRAM_CHAT = "5550001234"
UNKNOWN_PHONE = "+447700900999"


def axe_checker(page: Page) -> tuple[Callable[[str], None], dict[str, list[tuple[str, str, list[object]]]]]:
    """check(name) screenshots the page and runs axe-core on it; violations are kept by page."""
    axe = axe_sync.Axe()
    violations: dict[str, list[tuple[str, str, list[object]]]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        screenshot(page, name)
        results = axe.run(page)
        assert results.response["passes"], f"axe-core checked nothing on {name}"
        found = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]])
                 for v in results.response["violations"]]
        if found:
            violations[name] = found
    return check, violations


def seed_admin_pages(server: Server) -> None:
    """An admin, an open consultation with what came in, and a Telegram /forget request."""
    runtime = server.runtime
    with runtime.sessions.begin() as session:
        create_user(session, ADMIN, "admin", PASSWORD, FIXED_NOW, display_name=ADMIN_NAME)
        consultation = consultations_core.create_consultation(
            session, runtime.config,
            ConsultationDetails(slug=CONSULTATION_SLUG, title=CONSULTATION_TITLE,
                                questions={"en": "What would make maternity care better?",
                                           "ur": "زچگی کی دیکھ بھال کو کیا بہتر بنائے گا؟"},
                                sms_keyword="BABY"),
            "staff:seed@example.org", FIXED_NOW)
        consultations_core.open_consultation(session, consultation, "staff:seed@example.org", FIXED_NOW)
        session.flush()
        add_feedback(session, 9001, channel="web", language="en", fft="good",
                     text="The midwives explained everything.", consultation=consultation)
        add_feedback(session, 9002, channel="sms", language="ur", fft="poor",
                     text="ترجمان نہیں تھا۔", consultation=consultation)
    result = runtime.intake.ingest(IncomingMessage(
        "telegram", "9001", "Please forget what I said about the GP receptionist.",
        sender=TELEGRAM_CHAT, received_at=FIXED_NOW))
    assert result.reference, result
    server.app.extensions[CHAT_KEY].request_erasure("telegram", TELEGRAM_CHAT)


def test_an_admin_can_use_every_other_staff_page_accessibly(page: Page, server: Server) -> None:
    check_axe, violations = axe_checker(page)
    seed_admin_pages(server)
    app = server.app
    # entry points on the consultation page: the SMS number and the Telegram bot as well as the form
    before = app.config["TWILIO"], app.config["TELEGRAM"]
    app.config["TWILIO"] = TwilioSettings("AC1", "token", "+447700900123", "", "")
    app.config["TELEGRAM"] = TelegramSettings("t", "", "", bot_username="involve_test_bot")
    try:
        visit_admin_pages(page, server, check_axe)
    finally:
        app.config["TWILIO"], app.config["TELEGRAM"] = before
    assert violations == {}, "axe violations: " + "; ".join(
        f"{name}: {found}" for name, found in violations.items())


def visit_admin_pages(page: Page, server: Server, check_axe: Callable[[str], None]) -> None:
    # -- signed out: the sign-in page, then a wrong password --------------------------------------
    page.goto(server.url("/staff/login"))
    assert heading(page) == "Sign in to the engagement workspace"
    check_axe("admin-01-sign-in")
    page.get_by_label("Email address", exact=True).fill(ADMIN)
    page.get_by_label("Password", exact=True).fill("not the password")
    click_and_wait(page, page.get_by_role("button", name="Sign in", exact=True))
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter a correct email address and password" in summary.inner_text()
    check_axe("admin-02-sign-in-wrong-password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="Sign in", exact=True))
    assert "/staff/login" not in page.url, f"still on the sign-in page: {page.url}"

    # -- your account ---------------------------------------------------------------------------
    page.goto(server.url("/staff/account"))
    assert heading(page)
    check_axe("admin-03-account")

    # -- users: the list, one user, a new user with errors ------------------------------------------
    page.goto(server.url("/staff/users"))
    assert heading(page) == "Users"
    check_axe("admin-04-users")
    click_and_wait(page, page.get_by_role("link", name="Rita Reviewer", exact=True))
    assert heading(page) == "Rita Reviewer"
    check_axe("admin-05-user")
    page.goto(server.url("/staff/users/new"))
    click_and_wait(page, page.get_by_role("button", name="Add user", exact=True))
    assert page.locator(".nhsuk-error-summary").count() == 1
    assert page.locator(".nhsuk-error-message").count() == 3
    check_axe("admin-06-user-new-errors")

    # -- consultations: the list, one (entry points, QR code), a new one with errors, materials -----
    page.goto(server.url("/staff/consultations"))
    assert heading(page) == "Consultations"
    check_axe("admin-07-consultations")
    click_and_wait(page, page.get_by_role("link", name=CONSULTATION_TITLE, exact=True))
    assert heading(page) == CONSULTATION_TITLE
    assert page.locator("#form-url").inner_text().endswith(f"/feedback/c/{CONSULTATION_SLUG}")
    assert page.locator("#telegram-url").count() == 1
    qr = page.locator("img.staff-qr")
    qr.wait_for()
    assert page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    check_axe("admin-08-consultation")
    click_and_wait(page, page.get_by_role("link", name="Printable poster", exact=True))
    check_axe("admin-09-consultation-poster")
    page.goto(server.url(f"/staff/consultations/{CONSULTATION_SLUG}/report"))
    check_axe("admin-10-consultation-report")
    page.goto(server.url("/staff/consultations/new"))
    click_and_wait(page, page.get_by_role("button", name="Create consultation", exact=True))
    assert page.locator(".nhsuk-error-summary").count() == 1
    check_axe("admin-11-consultation-new-errors")

    # -- the tracker: the list and a new item with errors ------------------------------------------
    page.goto(server.url("/staff/tracker"))
    check_axe("admin-12-tracker")
    page.goto(server.url("/staff/tracker/new"))
    click_and_wait(page, page.get_by_role("button", name="Create tracker item", exact=True))
    assert page.locator(".nhsuk-error-summary").count() == 1
    check_axe("admin-13-tracker-new-errors")

    # -- privacy: the waiting request, finding someone with the keyboard, an unknown person --------
    page.goto(server.url("/staff/privacy"))
    assert heading(page) == "Privacy requests"
    assert page.locator("#erasure-requests tbody tr").count() == 1
    assert "Telegram" in page.locator("#erasure-requests tbody tr").inner_text()
    check_axe("admin-14-privacy")
    press_until(page, "Tab", lambda: focused(page)["name"] == "kind", limit=60)
    page.keyboard.press("Space")
    assert page.get_by_label("Phone number", exact=True).is_checked()
    page.keyboard.press("ArrowDown")    # the radio group's own keys: the next choice, checked
    assert page.get_by_label("Telegram user id", exact=True).is_checked()
    press_until(page, "Tab", lambda: focused(page)["id"] == "value", limit=5)
    page.keyboard.type(TELEGRAM_CHAT)
    screenshot(page, "admin-15-privacy-find-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert heading(page) == "What is held about this person"
    check_axe("admin-16-privacy-person")
    page.goto(server.url("/staff/privacy"))
    page.get_by_label("Phone number", exact=True).check()
    page.get_by_label("What they gave", exact=True).fill(UNKNOWN_PHONE)
    click_and_wait(page, page.get_by_role("button", name="Find", exact=True))
    assert page.locator(".nhsuk-error-summary").count() == 1
    check_axe("admin-17-privacy-unknown-person")

    # -- the configuration files (skipped while the pages are not there yet) -----------------------
    listing = page.goto(server.url("/staff/configuration"))
    if listing is not None and listing.status == 200:
        assert heading(page)
        check_axe("admin-18-configuration")
        opened = page.goto(server.url("/staff/configuration/pipeline.toml"))
        assert opened is not None and opened.status == 200
        check_axe("admin-19-configuration-file")
