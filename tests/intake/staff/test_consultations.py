"""Consultations' core: details checked (slug, SMS keyword, questions per language), opening and
closing with their dates, entry points, and the summary of what came in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands
from intake.bootstrap import Runtime
from intake.config import Config
from intake.staff import consultations
from intake.staff.consultations import ConsultationDetails
from intake.staff.dates import end_of_day, last_day, start_of_day
from intake.staff.labels import Labels
from intake.staff.validation import Invalid
from intake.storage.models import AuditEvent, Consultation
from tests.conftest import FIXED_NOW
from tests.intake.staff.synthetic_feedback import add_feedback

ADMIN = "staff:admin@example.org"
DAY = timedelta(days=1)


def details(**change: object) -> ConsultationDetails:
    fields: dict[str, object] = {"slug": "maternity-2026", "title": "Maternity: what matters",
                                 "questions": {"en": "What would make maternity care better?"}}
    fields.update(change)
    return ConsultationDetails(**fields)  # type: ignore[arg-type]


def create(session: Session, config: Config, **change: object) -> Consultation:
    return consultations.create_consultation(session, config, details(**change), ADMIN, FIXED_NOW)


def actions(session: Session) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_new_consultation_is_planned_tidied_and_audited(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        created = create(session, config, slug=" Maternity-2026 ", sms_keyword=" baby ",
                         services=("maternity",), keywords=("Midwife", "midwife ", "labour ward"),
                         questions={"ur": "  سوال  ", "en": "Question?", "pl": "  "})
        session.commit()
        assert (created.slug, created.sms_keyword, created.status) == ("maternity-2026", "BABY", "planned")
        assert created.keywords == ["midwife", "labour ward"]
        assert list(created.questions.items()) == [("en", "Question?"), ("ur", "سوال")]
        assert actions(session) == [("consultation.created", ADMIN)]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"slug": ""}, "slug", "Enter a short name"),
    ({"slug": "maternity 2026"}, "slug", "lower-case letters, numbers and hyphens"),
    ({"slug": "a" * 65}, "slug", "64 characters or fewer"),
    ({"slug": "-maternity"}, "slug", "hyphens"),
    ({"title": " "}, "title", "Enter a title"),
    ({"questions": {"pl": "Pytanie?"}}, "question_en", "Enter the question in English"),
    ({"questions": {"en": "Q?", "xx": "Q?"}}, "question_xx", "not one of the district's languages"),
    ({"questions": {"en": "Q" * 501}}, "question_en", "500 characters or fewer"),
    ({"sms_keyword": "STOP"}, "sms_keyword", "already means something"),
    ({"sms_keyword": "help"}, "sms_keyword", "already means something"),
    ({"sms_keyword": "2BABY"}, "sms_keyword", "starting with a letter"),
    ({"sms_keyword": "BABY CARE"}, "sms_keyword", "one word"),
    ({"services": ("maternity", "nope")}, "services", "from the list"),
    ({"keywords": tuple(f"word{i}" for i in range(31))}, "keywords", "up to 30 keywords"),
    ({"opens_at": FIXED_NOW, "closes_at": FIXED_NOW}, "closes_at", "after the opening date"),
])
def test_wrong_details_are_refused_with_a_message_per_field(
        runtime: Runtime, config: Config, change: dict[str, object], field: str, words: str) -> None:
    with runtime.sessions() as session:
        with pytest.raises(Invalid) as refused:
            create(session, config, **change)
        assert words in refused.value.errors[field]
        assert session.scalar(select(Consultation.id)) is None
        assert actions(session) == []


def test_slugs_and_sms_keywords_are_unique_across_consultations(runtime: Runtime,
                                                                config: Config) -> None:
    with runtime.sessions() as session:
        create(session, config, sms_keyword="BABY")
        for change, field in [({"sms_keyword": "Baby"}, "sms_keyword"),
                              ({"sms_keyword": "MATERNITY2026"}, None),
                              ({"slug": "maternity-2026"}, "slug"),
                              ({"slug": "baby"}, "slug")]:
            change = {"slug": "other", **change}
            if field is None:
                create(session, config, **change)
                continue
            with pytest.raises(Invalid) as refused:
                create(session, config, **change)
            assert set(refused.value.errors) == {field}
        with pytest.raises(Invalid) as refused:
            create(session, config, slug="third", sms_keyword="other")   # another's slug
        assert "short name" in refused.value.errors["sms_keyword"]


def test_editing_keeps_its_own_slug_and_keyword_and_audits_changes(runtime: Runtime,
                                                                   config: Config) -> None:
    with runtime.sessions() as session:
        planned = create(session, config, sms_keyword="BABY")
        changed = consultations.edit_consultation(
            session, config, planned, details(slug="maternity-care", sms_keyword="baby",
                                              title="Maternity care"), ADMIN, FIXED_NOW)
        assert changed == ["slug", "title"]
        assert consultations.edit_consultation(session, config, planned, details(
            slug="maternity-care", sms_keyword="BABY", title="Maternity care"), ADMIN, FIXED_NOW) == []
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "consultation.edited"))
        assert event.details == {"slug": "maternity-care", "changed": ["slug", "title"],
                                 "old_slug": "maternity-2026"}


def test_the_slug_cannot_change_once_opened(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        opened = create(session, config)
        consultations.open_consultation(session, opened, ADMIN, FIXED_NOW)
        with pytest.raises(Invalid) as refused:
            consultations.edit_consultation(session, config, opened, details(slug="renamed"),
                                            ADMIN, FIXED_NOW)
        assert "cannot change once the consultation has opened" in refused.value.errors["slug"]
        assert opened.slug == "maternity-2026"


def test_opening_and_closing_set_status_dates_and_audit(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        item = create(session, config)
        assert consultations.phase(item, FIXED_NOW) == "planned"
        consultations.open_consultation(session, item, ADMIN, FIXED_NOW)
        assert (item.status, item.opens_at, item.closes_at) == ("open", FIXED_NOW, None)
        assert consultations.phase(item, FIXED_NOW) == "open"
        consultations.close_consultation(session, item, ADMIN, FIXED_NOW + DAY)
        assert (item.status, item.closes_at) == ("closed", FIXED_NOW + DAY)
        assert not item.is_open_at(FIXED_NOW + DAY)
        with pytest.raises(Invalid) as refused:
            consultations.open_consultation(session, item, ADMIN, FIXED_NOW + 2 * DAY)
        assert "closing date" in refused.value.errors["status"]
        consultations.mark_reported(session, item, ADMIN, FIXED_NOW + 3 * DAY)
        with pytest.raises(Invalid):
            consultations.open_consultation(session, item, ADMIN, FIXED_NOW + 4 * DAY)
        with pytest.raises(Invalid):
            consultations.close_consultation(session, item, ADMIN, FIXED_NOW + 4 * DAY)
        assert [a for a, _ in actions(session)] == [
            "consultation.created", "consultation.opened", "consultation.closed",
            "consultation.reported"]


def test_a_future_opening_date_is_kept_and_shows_as_scheduled(runtime: Runtime,
                                                              config: Config) -> None:
    with runtime.sessions() as session:
        item = create(session, config, opens_at=FIXED_NOW + DAY, closes_at=FIXED_NOW + 10 * DAY)
        consultations.open_consultation(session, item, ADMIN, FIXED_NOW)
        assert item.opens_at == FIXED_NOW + DAY
        assert consultations.phase(item, FIXED_NOW) == "scheduled"
        assert consultations.phase(item, FIXED_NOW + 2 * DAY) == "open"
        assert consultations.phase(item, FIXED_NOW + 10 * DAY) == "closed"
        consultations.close_consultation(session, item, ADMIN, FIXED_NOW + 2 * DAY)
        assert item.closes_at == FIXED_NOW + 2 * DAY     # the later closing date is brought forward
        with pytest.raises(Invalid):
            consultations.mark_reported(session, create(session, config, slug="x"), ADMIN, FIXED_NOW)


def test_form_days_are_days_in_england_across_the_clock_change() -> None:
    # British Summer Time began at 01:00 UTC on 29 March 2026.
    assert start_of_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    assert last_day(end_of_day(date(2026, 3, 29))) == date(2026, 3, 29)


def test_entry_points_come_from_the_public_address_the_number_and_the_bot(runtime: Runtime,
                                                                          config: Config) -> None:
    with runtime.sessions() as session:
        item = create(session, config, sms_keyword="BABY")
        points = consultations.entry_points(item, "https://feedback.example.nhs.uk/",
                                            "+447700900123", "@involve_test_bot")
        assert points.form_url == "https://feedback.example.nhs.uk/feedback/c/maternity-2026"
        assert points.sms_instruction == "Text BABY to 07700 900123"
        assert points.telegram_url == "https://t.me/involve_test_bot?start=maternity-2026"
        bare = consultations.entry_points(item, "https://feedback.example.nhs.uk")
        assert (bare.sms_number, bare.sms_instruction, bare.telegram_url) == (None, None, None)
        assert bare.form_url == points.form_url


def test_reserved_keywords_cover_every_word_the_chat_channels_answer() -> None:
    words = commands.OPT_OUT_WORDS | commands.OPT_IN_WORDS | commands.HELP_WORDS
    keyword_like = {w.upper() for w in words if w.isalnum()}
    assert keyword_like <= consultations.RESERVED_KEYWORDS


def test_the_summary_counts_what_came_in(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        item = create(session, config)
        other = create(session, config, slug="other")
        add_feedback(session, 1, channel="sms", services=["maternity"], language="en",
                     needs=["easy-read"], fft="very-good", consultation=item,
                     received_at=FIXED_NOW - 2 * DAY)
        add_feedback(session, 2, channel="web", services=["maternity"], language="ur",
                     fft="good", consultation=item)
        add_feedback(session, 3, channel="web", language="en", fft="poor", consultation=item)
        add_feedback(session, 4, channel="telegram", language="pl", fft="dont-know",
                     consultation=item, received_at=FIXED_NOW - DAY)
        add_feedback(session, 5, channel="web", consultation=item)                # no FFT answer
        add_feedback(session, 6, channel="sms", fft="very-poor", consultation=other)
        add_feedback(session, 7, channel="sms", fft="very-poor")                   # not linked
        result = consultations.summary(session, Labels(config), item)
        assert result.total == 5
        assert [(c.label, c.count) for c in result.channels] == [
            ("Web form", 3), ("SMS", 1), ("Telegram", 1)]
        assert [(c.value, c.count) for c in result.services] == [("maternity", 2), ("none", 3)]
        assert [(c.label, c.count) for c in result.languages] == [
            ("English", 2), ("Polish", 1), ("Urdu", 1), ("No language yet", 1)]
        assert [(c.value, c.count) for c in result.needs] == [("easy-read", 1), ("none", 4)]
        assert [(c.label, c.count) for c in result.fft] == [
            ("Very good", 1), ("Good", 1), ("Neither good nor poor", 0), ("Poor", 1),
            ("Very poor", 0), ("Don't know", 1)]
        assert (result.fft_answers, result.fft_positive, result.fft_negative) == (4, 50, 25)
        assert (result.first_received, result.last_received) == (FIXED_NOW - 2 * DAY, FIXED_NOW)
        empty = consultations.summary(session, Labels(config), create(session, config, slug="empty"))
        assert (empty.total, empty.fft_answers, empty.fft_positive, empty.first_received) == (
            0, 0, None, None)
