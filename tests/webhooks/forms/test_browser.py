"""The public form in a real browser: headless Chromium (Playwright) against a real server on
127.0.0.1, with the mouse, with the keyboard only, without JavaScript, in Urdu, and checked with
axe-core. Every page and state is saved as a full-page screenshot in test-artifacts/screenshots/.

SQLite only, one server for the module, to keep this quick."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.settings import Settings
from intake.storage import migrate
from intake.storage.database import make_engine
from intake.storage.models import Consultation, ConsultationStatus, Feedback
from tests.conftest import FIXED_NOW, settings_env
from tests.webhooks.browser import CHROMIUM, SCREENSHOTS, chromium, isolated_context, serving
from webhooks import create_app
from webhooks.forms.text import PageText, page_text

from .conftest import REFERENCE, active_tags, feedback_by_reference

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason=f"the browser tests drive Debian Chromium at {CHROMIUM}, "
                                       "which is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright",
                               reason="axe-playwright-python is not installed")
Browser, BrowserContext, Page = sync_api.Browser, sync_api.BrowserContext, sync_api.Page

ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000
CLOSED_SLUG = "community-pharmacy-2025"
ENGLISH = page_text("en")
URDU = page_text("ur")
URDU_WORDS = ("میرے والد بہرے ہیں اور انہیں اشاروں کی زبان کے ترجمان کی ضرورت ہے۔ "
              "ڈاکٹر کی سرجری نے ترجمان کا انتظام نہیں کیا اور ہمیں واپس بھیج دیا۔")
ENGLISH_WORDS = ("My dad is deaf and needs a British Sign Language interpreter. The GP surgery "
                 "would not book one, so his appointment was cancelled again.")


@dataclass(frozen=True)
class Server:
    base_url: str
    runtime: Runtime

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Iterator[Server]:
    """The app on a real port: a migrated SQLite file, the demo seeded, a fixed clock."""
    root = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{root / 'intake-browser.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = Settings.from_env(settings_env(url, root / "instance"))
    runtime = build_runtime(settings=settings, config=config, engine=engine)
    runtime.intake.clock = lambda: FIXED_NOW
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
        session.add(Consultation(
            slug=CLOSED_SLUG, title="Community pharmacy opening hours",
            questions={"en": "What do you think of pharmacy opening hours?"},
            status=ConsultationStatus.CLOSED, opens_at=FIXED_NOW - timedelta(days=120),
            closes_at=FIXED_NOW - timedelta(days=30), created_at=FIXED_NOW))
    # Many forms are sent from one address in a short time here; the limit has its own test.
    app = create_app({"FEEDBACK_RATE_LIMIT": "1000 per minute"}, runtime=runtime)
    try:
        with serving(app, "browser-test-server") as base_url:
            yield Server(base_url, runtime)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def new_context(browser: Browser, server: Server, **options: object) -> BrowserContext:
    return isolated_context(browser, server.base_url, viewport={"width": 1024, "height": 800},
                            action_ms=ACTION_TIMEOUT_MS, navigation_ms=NAVIGATION_TIMEOUT_MS,
                            **options)


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = new_context(browser, server)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert not context.csp_violations, "\n".join(context.csp_violations)


@pytest.fixture(scope="module", autouse=True)
def screenshots_folder() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, timeout=ACTION_TIMEOUT_MS)


def focused(page: Page) -> dict[str, str]:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e ? e.tagName.toLowerCase() : '', id: (e && e.id) || '',
                name: (e && e.getAttribute('name')) || '', cls: (e && e.className) || '',
                value: (e && e.value) || ''};
    }""")


def checked_value(page: Page, name: str) -> str | None:
    return page.evaluate("(name) => document.querySelector(`input[name=\"${name}\"]:checked`)"
                         "?.value ?? null", name)


def reference_on(page: Page) -> str:
    page.wait_for_url("**/feedback/confirmation")
    panel = page.locator(".nhsuk-panel").inner_text()
    found = REFERENCE.findall(panel)
    assert found, f"no reference on the confirmation page: {panel!r}"
    return found[0]


def fill_by_mouse(page: Page, text: PageText, server: Server, words: str) -> None:
    """Answer every question the way a mouse user does, finding fields by their visible labels."""
    gp = server.runtime.config.service("gp")
    assert gp is not None
    page.get_by_label(text("about_someone"), exact=True).click()
    page.get_by_label(gp.name, exact=True).click()
    page.get_by_label(text("what_label"), exact=True).click()
    page.get_by_label(text("what_label"), exact=True).fill(words)
    page.get_by_label(text.label("fft", "poor"), exact=True).click()
    page.get_by_label(text.label("needs", "bsl-interpreter"), exact=True).click()
    page.get_by_label(text("contact_sms"), exact=True).click()
    page.get_by_label(text("phone_label"), exact=True).click()
    page.get_by_label(text("phone_label"), exact=True).fill("07700 900123")
    assert checked_value(page, "about") == "someone"
    assert checked_value(page, "service") == "gp"
    assert checked_value(page, "fft") == "poor"
    assert page.locator("input[name=needs][value=bsl-interpreter]").is_checked()
    assert checked_value(page, "contact") == "sms"


def assert_tags(runtime: Runtime, reference: str, language: str) -> Feedback:
    feedback = feedback_by_reference(runtime, reference)
    tags = active_tags(feedback)
    assert "gp" in [value for value, _, _ in tags["service"]]
    assert [value for value, _, _ in tags["language"]] == [language]
    assert ("bsl-interpreter", "204331000000107", "contributor") in tags["need"]
    assert feedback.channel == "web"
    assert feedback.on_behalf_of is True
    assert feedback.fft_rating == "poor"
    return feedback


# -- (1) and (2): the mouse, in English and in Urdu ------------------------------------------
def test_a_carer_sends_feedback_with_the_mouse(page: Page, server: Server) -> None:
    page.goto(server.url("/?lang=en&easy=0"))
    screenshot(page, "01-start")
    page.get_by_role("button", name=ENGLISH("start_button")).click()
    page.wait_for_url("**/feedback")
    fill_by_mouse(page, ENGLISH, server, ENGLISH_WORDS)
    screenshot(page, "01-form-filled-en")
    page.get_by_role("button", name=ENGLISH("submit")).click()
    reference = reference_on(page)
    assert page.locator("h1").inner_text().strip() == ENGLISH("confirmation_title")
    screenshot(page, "01-confirmation-en")
    feedback = assert_tags(server.runtime, reference, "en")
    assert feedback.text == ENGLISH_WORDS


def test_a_carer_sends_feedback_in_urdu(page: Page, server: Server) -> None:
    page.goto(server.url("/feedback?lang=ur"))
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ur", "rtl")
    assert page.locator("h1").inner_text().strip() == URDU("form_heading")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    fill_by_mouse(page, URDU, server, URDU_WORDS)
    screenshot(page, "02-form-filled-ur")
    page.get_by_role("button", name=URDU("submit")).click()
    reference = reference_on(page)
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ur", "rtl")
    assert URDU("confirmation_reference") in page.locator(".nhsuk-panel").inner_text()
    screenshot(page, "02-confirmation-ur")
    feedback = assert_tags(server.runtime, reference, "ur")
    assert feedback.text == URDU_WORDS


# -- (3) the error summary -------------------------------------------------------------------
def test_the_error_summary_is_focused_and_its_links_reach_each_field(page: Page, server: Server) -> None:
    page.goto(server.url("/feedback?lang=en&easy=0"))
    with page.expect_navigation():
        page.get_by_role("button", name=ENGLISH("submit")).click()
    assert page.title().startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    assert summary.locator("h2").inner_text().strip() == "There is a problem"
    page.wait_for_function(
        "() => document.activeElement?.classList.contains('nhsuk-error-summary')",
        timeout=ACTION_TIMEOUT_MS)
    screenshot(page, "03-error-summary")
    links = summary.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#about", "#service", "#what", "#contact"]
    for field, tag in (("about", "input"), ("service", "input"), ("what", "textarea"),
                       ("contact", "input")):
        summary.locator(f"a[href='#{field}']").click()
        page.wait_for_function("(id) => document.activeElement?.id === id", arg=field,
                               timeout=ACTION_TIMEOUT_MS)
        assert focused(page)["tag"] == tag
        assert page.evaluate("""(id) => {
            const r = document.getElementById(id).getBoundingClientRect();
            return r.bottom > 0 && r.top < window.innerHeight;
        }""", field), f"#{field} was not scrolled into view"
        screenshot(page, f"03-error-link-{field}")
    # each field shows its own message next to it
    for field in ("about", "service", "what", "contact"):
        assert page.locator(f"#{field}-error").is_visible()


# -- (4) the keyboard only -------------------------------------------------------------------
def press_until(page: Page, key: str, done: Callable[[], bool], limit: int = 60) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if done():
            return presses
    raise AssertionError(f"{key} pressed {limit} times without reaching the goal; "
                         f"focus is on {focused(page)}")


def test_the_whole_form_with_the_keyboard_only(page: Page, server: Server) -> None:
    page.goto(server.url("/feedback?lang=en&easy=0"))
    # Tab from the top of the page: skip link, header and language links come first.
    press_until(page, "Tab", lambda: focused(page)["id"] == "about")
    page.keyboard.press("ArrowDown")  # moves to and selects "Someone I care for or support"
    assert checked_value(page, "about") == "someone"
    press_until(page, "Tab", lambda: focused(page)["name"] == "service")
    press_until(page, "ArrowDown", lambda: checked_value(page, "service") == "gp", limit=25)
    press_until(page, "Tab", lambda: focused(page)["id"] == "what", limit=3)
    page.keyboard.type("The GP receptionist booked a BSL interpreter for my dad. Thank you.")
    press_until(page, "Tab", lambda: focused(page)["name"] == "fft", limit=3)
    press_until(page, "ArrowDown", lambda: checked_value(page, "fft") == "good", limit=8)
    press_until(page, "Tab", lambda: focused(page)["name"] == "needs", limit=3)
    assert focused(page)["value"] == "bsl-interpreter"
    page.keyboard.press("Space")
    assert page.locator("input[name=needs][value=bsl-interpreter]").is_checked()
    press_until(page, "Tab", lambda: focused(page)["name"] == "contact", limit=15)
    assert focused(page)["value"] == "sms"
    page.keyboard.press("Space")
    assert checked_value(page, "contact") == "sms"
    press_until(page, "Tab", lambda: focused(page)["id"] == "phone", limit=3)
    page.keyboard.type("07700 900124")
    screenshot(page, "04-form-filled-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    reference = reference_on(page)
    screenshot(page, "04-confirmation-keyboard")
    feedback = feedback_by_reference(server.runtime, reference)
    tags = active_tags(feedback)
    assert "gp" in [value for value, _, _ in tags["service"]]
    assert ("bsl-interpreter", "204331000000107", "contributor") in tags["need"]
    assert (feedback.on_behalf_of, feedback.fft_rating) == (True, "good")
    assert feedback.contributor_id is not None


# -- (5) without JavaScript ------------------------------------------------------------------
def test_the_form_works_without_javascript(browser: Browser, server: Server) -> None:
    context = new_context(browser, server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url("/feedback?lang=en&easy=0"))
        assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
        screenshot(page, "05-form-no-js")
        with page.expect_navigation():
            page.get_by_role("button", name=ENGLISH("submit")).click()
        assert page.locator(".nhsuk-error-summary").is_visible()
        screenshot(page, "05-errors-no-js")
        fill_by_mouse(page, ENGLISH, server, ENGLISH_WORDS)
        page.get_by_role("button", name=ENGLISH("submit")).click()
        reference = reference_on(page)
        screenshot(page, "05-confirmation-no-js")
        assert_tags(server.runtime, reference, "en")
    finally:
        context.close()


# -- right to left --------------------------------------------------------------------------
CONTROL_GAPS = """() => [...document.querySelectorAll('.nhsuk-radios__item, .nhsuk-checkboxes__item')]
    .map(item => {
        const label = item.querySelector('label');
        const range = document.createRange();
        range.selectNodeContents(label);
        const text = range.getBoundingClientRect();
        const box = item.getBoundingClientRect();
        const before = getComputedStyle(label, '::before');  // the circle or box people see
        const left = box.left + parseFloat(before.left), right = left + parseFloat(before.width);
        const gap = Math.max(text.left - right, left - text.right, 0);
        return [label.textContent.trim(), Math.round(gap)];
    })"""
MAX_GAP_PX = 32


def control_gaps(page: Page) -> list[tuple[str, int]]:
    """Each radio and checkbox: how far (px) the control people see is from its words."""
    return [(text, gap) for text, gap in page.evaluate(CONTROL_GAPS)]


def test_radios_and_checkboxes_sit_next_to_their_words_in_english(page: Page, server: Server) -> None:
    page.goto(server.url("/feedback?lang=en&easy=0"))
    gaps = control_gaps(page)
    assert len(gaps) > 30
    assert [(text, gap) for text, gap in gaps if gap > MAX_GAP_PX] == []


def test_radios_and_checkboxes_sit_next_to_their_words_right_to_left(
        page: Page, server: Server) -> None:
    page.goto(server.url("/feedback?lang=ur"))
    screenshot(page, "07-form-ur-controls")
    gaps = control_gaps(page)
    assert len(gaps) > 30
    assert [(text, gap) for text, gap in gaps if gap > MAX_GAP_PX] == []


# -- script injection --------------------------------------------------------------------------
def test_a_cross_site_post_cannot_run_script_on_the_service(page: Page, server: Server) -> None:
    attack = "</textarea><script>window.injected = document.domain</script><textarea>"
    page.set_content(f'<form method="post" action="{server.url("/feedback")}">'
                     f'<input name="what" value="{html.escape(attack)}"></form>')
    with page.expect_navigation():
        page.evaluate("document.forms[0].submit()")
    assert page.url == server.url("/feedback")
    assert page.title().startswith("Error: ")
    screenshot(page, "08-cross-site-post")
    assert page.evaluate("window.injected ?? null") is None
    assert page.locator("#what").input_value() == attack


# -- (6) axe-core ----------------------------------------------------------------------------
def submit_empty(page: Page, server: Server) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=ENGLISH("submit")).click()
    assert page.locator(".nhsuk-error-summary").is_visible()


def submit_valid(page: Page, server: Server) -> None:
    fill_by_mouse(page, ENGLISH, server, ENGLISH_WORDS)
    page.get_by_role("button", name=ENGLISH("submit")).click()
    reference_on(page)


AXE_PAGES: list[tuple[str, str, Callable[[Page, Server], None] | None, str]] = [
    ("start", "/?lang=en&easy=0", None, ENGLISH("start_heading")),
    ("form", "/feedback?lang=en&easy=0", None, ENGLISH("form_heading")),
    ("form-errors", "/feedback?lang=en&easy=0", submit_empty, ENGLISH("form_heading")),
    ("confirmation", "/feedback?lang=en&easy=0", submit_valid, ENGLISH("confirmation_title")),
    ("privacy", "/privacy?lang=en", None, ENGLISH("privacy_heading")),
    ("not-found", "/no-such-page?lang=en", None, ENGLISH("error_not_found")),
    ("consultation", f"/feedback/c/{DEMO_CONSULTATION_SLUG}?lang=en&easy=0", None,
     ENGLISH("form_heading")),
    ("closed-consultation", f"/feedback/c/{CLOSED_SLUG}?lang=en", None, ENGLISH("closed_heading")),
    ("form-urdu", "/feedback?lang=ur", None, URDU("form_heading")),
    ("form-polish", "/feedback?lang=pl", None, page_text("pl")("form_heading")),
    ("form-easy-read", "/feedback?lang=en&easy=1", None, page_text("en", True)("form_heading")),
]


@pytest.fixture(scope="module")
def axe() -> object:
    return axe_sync.Axe()


@pytest.mark.parametrize(("name", "path", "action", "heading"), AXE_PAGES,
                         ids=[name for name, *_ in AXE_PAGES])
def test_axe_finds_no_violations(page: Page, server: Server, axe: object, name: str, path: str,
                                 action: Callable[[Page, Server], None] | None, heading: str) -> None:
    page.goto(server.url(path))
    if action is not None:
        action(page, server)
    assert page.locator("h1").first.inner_text().strip() == heading
    page.wait_for_load_state("load")
    screenshot(page, f"06-axe-{name}")
    results = axe.run(page)  # type: ignore[attr-defined]
    violations = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]])
                  for v in results.response["violations"]]
    assert results.violations_count == 0, f"axe violations on {name}: {violations}"
