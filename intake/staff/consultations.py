"""Consultations: setting one up, opening and closing it, the ways people reach it, and what came in.

A consultation is reached three ways, all public already: its web form (``/feedback/c/<slug>``),
its SMS keyword (texted to the service's number) and a Telegram deep link
(``https://t.me/<bot>?start=<slug>``). The slug is in posters and QR codes, so it cannot change
once the consultation has opened. Admins manage consultations; everyone in the team may read
them. Every change writes an audit event naming who made it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import phonenumbers
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from intake.config import Config
from intake.feedback_query import FeedbackFilters, count, facet_counts, statement
from intake.message import FftRating
from intake.staff.dates import show_moment
from intake.staff.labels import FFT_LABELS, Count, Labels
from intake.staff.validation import Invalid, check_length, check_services, clean_text
from intake.storage.models import AuditEvent, Consultation, ConsultationStatus, Feedback

# The public form's path; tests/webhooks/staff check it against the form's own route.
FORM_PATH = "/feedback/c/{slug}"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LIMIT = 64          # a Telegram deep-link payload is at most 64 characters
SMS_KEYWORD = re.compile(r"^[A-Z][A-Z0-9]{1,31}$")
# Words the SMS and chat channels already answer (opt-out and opt-in words, help, the answers
# to the conversation's questions). A keyword spelt like one of these would never be reached.
RESERVED_KEYWORDS = frozenset({
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "START",
    "UNSTOP", "HELP", "INFO", "YES", "NO", "Y", "N", "OK", "OKAY", "SKIP", "PASS", "NEXT", "DONE",
    "FINISHED", "FORGET", "LANGUAGE", "ENGLISH",
})
TITLE_LIMIT = 200
SUMMARY_LIMIT = 5_000
# The question is sent by SMS too: a few text messages at most, not a letter.
QUESTION_LIMIT = 500
KEYWORD_LIMIT = 60
MAX_KEYWORDS = 30
STATUS_LABELS = {"planned": "Planned", "scheduled": "Scheduled", "open": "Open",
                 "closed": "Closed", "reported": "Reported"}


@dataclass(frozen=True)
class ConsultationDetails:
    """What an admin sets when creating or editing a consultation."""

    slug: str
    title: str
    summary: str = ""
    services: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    questions: Mapping[str, str] = field(default_factory=dict)
    sms_keyword: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _other(consultation: Consultation | None) -> Any:
    """Every consultation but the one being edited."""
    return Consultation.id != consultation.id if consultation is not None else true()


def _check_slug(session: Session, slug: str, consultation: Consultation | None,
                errors: dict[str, str]) -> None:
    if consultation is not None and slug != consultation.slug \
            and consultation.status != ConsultationStatus.PLANNED:
        errors["slug"] = ("The web address cannot change once the consultation has opened: "
                          "posters, QR codes and links already use it")
    elif not slug:
        errors["slug"] = "Enter a short name for the web address, like maternity-2026"
    elif len(slug) > SLUG_LIMIT or not SLUG.match(slug):
        errors["slug"] = (f"The short name must be {SLUG_LIMIT} characters or fewer, using only "
                          "lower-case letters, numbers and hyphens, like maternity-2026")
    elif session.scalar(select(Consultation.id).where(
            Consultation.slug == slug, _other(consultation))) is not None:
        errors["slug"] = f"Another consultation already uses {slug}: choose a different short name"
    elif session.scalar(select(Consultation.id).where(
            func.upper(Consultation.sms_keyword) == slug.upper(),
            _other(consultation))) is not None:
        errors["slug"] = (f"Another consultation's SMS keyword is {slug.upper()}: "
                          "choose a different short name")


def _check_keyword(session: Session, keyword: str, consultation: Consultation | None,
                   errors: dict[str, str]) -> None:
    if not keyword:
        return
    if not SMS_KEYWORD.match(keyword):
        errors["sms_keyword"] = ("The SMS keyword must be one word of 2 to 32 letters and numbers, "
                                 "starting with a letter, like BABY")
    elif keyword in RESERVED_KEYWORDS:
        errors["sms_keyword"] = (f"{keyword} already means something to the text service "
                                 "(like STOP or HELP): choose a different keyword")
    elif session.scalar(select(Consultation.id).where(
            func.upper(Consultation.sms_keyword) == keyword, _other(consultation))):
        errors["sms_keyword"] = f"Another consultation already uses {keyword}: choose a different keyword"
    elif session.scalar(select(Consultation.id).where(
            func.upper(Consultation.slug) == keyword, _other(consultation))):
        errors["sms_keyword"] = (f"{keyword} is another consultation's short name: "
                                 "choose a different keyword")


def _check_questions(config: Config, questions: Mapping[str, str],
                     errors: dict[str, str]) -> dict[str, str]:
    cleaned = {code: clean_text(text) for code, text in questions.items()}
    cleaned = {code: text for code, text in cleaned.items() if text}
    default = config.languages.default
    for code, text in cleaned.items():
        if code not in config.language_codes:
            errors[f"question_{code}"] = f"{code} is not one of the district's languages"
        check_length(errors, f"question_{code}", text, QUESTION_LIMIT, "The question")
    if default not in cleaned:
        language = config.language(default)
        name = language.name if language else default
        errors[f"question_{default}"] = f"Enter the question in {name}"
    # The default language first, then the order languages.toml lists them in.
    order = {code: number for number, code in enumerate(config.language_codes)}
    return dict(sorted(cleaned.items(), key=lambda pair: (pair[0] != default,
                                                          order.get(pair[0], 999))))


def check_details(session: Session, config: Config, details: ConsultationDetails,
                  consultation: Consultation | None = None) -> ConsultationDetails:
    """The details tidied, or ``Invalid`` naming each field to correct. ``consultation`` is the
    one being edited (it may keep its own slug and keyword)."""
    errors: dict[str, str] = {}
    slug = clean_text(details.slug).lower()
    _check_slug(session, slug, consultation, errors)
    title, summary = clean_text(details.title), clean_text(details.summary)
    if not title:
        errors["title"] = "Enter a title for the consultation"
    check_length(errors, "title", title, TITLE_LIMIT, "The title")
    check_length(errors, "summary", summary, SUMMARY_LIMIT, "The summary")
    services = check_services(errors, "services", list(details.services), config.service_ids)
    keywords = list(dict.fromkeys(k.lower() for k in map(clean_text, details.keywords) if k))
    if len(keywords) > MAX_KEYWORDS or any(len(k) > KEYWORD_LIMIT for k in keywords):
        errors["keywords"] = (f"Enter up to {MAX_KEYWORDS} keywords of {KEYWORD_LIMIT} characters "
                              "or fewer each")
    questions = _check_questions(config, details.questions, errors)
    keyword = clean_text(details.sms_keyword).upper()
    _check_keyword(session, keyword, consultation, errors)
    if details.opens_at and details.closes_at and details.closes_at <= details.opens_at:
        errors["closes_at"] = "The closing date must be after the opening date"
    if errors:
        raise Invalid(errors)
    return ConsultationDetails(slug=slug, title=title, summary=summary, services=tuple(services),
                               keywords=tuple(keywords), questions=questions,
                               sms_keyword=keyword, opens_at=details.opens_at,
                               closes_at=details.closes_at)


def _audit(session: Session, actor: str, action: str, consultation: Consultation, now: datetime,
           details: dict[str, Any] | None = None) -> None:
    session.add(AuditEvent(occurred_at=now, actor=actor, action=action, entity_type="consultation",
                           entity_id=str(consultation.id),
                           details={"slug": consultation.slug, **(details or {})}))


def _columns(details: ConsultationDetails) -> dict[str, Any]:
    return {"slug": details.slug, "title": details.title, "summary": details.summary,
            "services": list(details.services), "keywords": list(details.keywords),
            "questions": dict(details.questions), "sms_keyword": details.sms_keyword or None,
            "opens_at": details.opens_at, "closes_at": details.closes_at}


def create_consultation(session: Session, config: Config, details: ConsultationDetails,
                        actor: str, now: datetime) -> Consultation:
    """A planned consultation: nobody can reach it until it is opened."""
    details = check_details(session, config, details)
    consultation = Consultation(**_columns(details), status=ConsultationStatus.PLANNED,
                                created_at=now)
    session.add(consultation)
    session.flush()
    _audit(session, actor, "consultation.created", consultation, now,
           {"title": consultation.title, "sms_keyword": consultation.sms_keyword})
    return consultation


def edit_consultation(session: Session, config: Config, consultation: Consultation,
                      details: ConsultationDetails, actor: str, now: datetime) -> list[str]:
    """Change the details; returns the names of the fields that changed (none: no audit)."""
    details = check_details(session, config, details, consultation)
    new = _columns(details)
    changed = [name for name, value in new.items() if getattr(consultation, name) != value]
    if not changed:
        return []
    old_slug = consultation.slug
    for name in changed:
        setattr(consultation, name, new[name])
    _audit(session, actor, "consultation.edited", consultation, now,
           {"changed": changed, **({"old_slug": old_slug} if "slug" in changed else {})})
    return changed


def open_consultation(session: Session, consultation: Consultation, actor: str,
                      now: datetime) -> None:
    """Open it for answers now, or from its opening date if that is still to come."""
    if consultation.status == ConsultationStatus.REPORTED:
        raise Invalid({"status": "A consultation that has been reported on cannot be opened again"})
    if consultation.status == ConsultationStatus.OPEN:
        return
    if consultation.closes_at is not None and consultation.closes_at <= now:
        raise Invalid({"status": f"The closing date ({show_moment(consultation.closes_at)}) has "
                                 "passed. Change or remove it, then open the consultation"})
    old = consultation.status
    consultation.status = ConsultationStatus.OPEN
    if consultation.opens_at is None:
        consultation.opens_at = now
    _audit(session, actor, "consultation.opened", consultation, now,
           {"from": old, "opens_at": consultation.opens_at.isoformat(),
            "closes_at": consultation.closes_at.isoformat() if consultation.closes_at else None})


def close_consultation(session: Session, consultation: Consultation, actor: str,
                       now: datetime) -> None:
    """Stop taking answers now (a closing date still to come becomes now)."""
    if consultation.status not in (ConsultationStatus.PLANNED, ConsultationStatus.OPEN):
        raise Invalid({"status": "Only a planned or open consultation can be closed"})
    old = consultation.status
    consultation.status = ConsultationStatus.CLOSED
    if consultation.closes_at is None or consultation.closes_at > now:
        consultation.closes_at = now
    _audit(session, actor, "consultation.closed", consultation, now,
           {"from": old, "closes_at": consultation.closes_at.isoformat()})


def mark_reported(session: Session, consultation: Consultation, actor: str, now: datetime) -> None:
    """The report has gone out: the consultation is finished and routing stops linking to it."""
    if consultation.status != ConsultationStatus.CLOSED:
        raise Invalid({"status": "Close the consultation before marking it as reported"})
    consultation.status = ConsultationStatus.REPORTED
    _audit(session, actor, "consultation.reported", consultation, now)


def phase(consultation: Consultation, now: datetime) -> str:
    """What people see: planned, scheduled (open from a date still to come), open, closed, reported.
    An open consultation whose closing date has passed is closed, as the channels treat it."""
    if consultation.status == ConsultationStatus.OPEN:
        if consultation.is_open_at(now):
            return "open"
        if consultation.opens_at is not None and now < consultation.opens_at:
            return "scheduled"
        return "closed"
    return str(consultation.status)


# -- entry points --------------------------------------------------------------------------

@dataclass(frozen=True)
class EntryPoints:
    form_url: str
    sms_keyword: str | None
    sms_number: str | None       # as people dial it, e.g. "07700 900123"
    telegram_url: str | None     # None until the bot's username is configured

    @property
    def sms_instruction(self) -> str | None:
        if not self.sms_keyword or not self.sms_number:
            return None
        return f"Text {self.sms_keyword} to {self.sms_number}"


def show_number(number: str) -> str:
    """A UK number as people dial it; anything else as given."""
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return number
    if parsed.country_code == 44 and phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def form_url(public_base_url: str, slug: str) -> str:
    return public_base_url.rstrip("/") + FORM_PATH.format(slug=quote(slug, safe=""))


def entry_points(consultation: Consultation, public_base_url: str, sms_number: str = "",
                 telegram_username: str = "") -> EntryPoints:
    username = telegram_username.strip().lstrip("@")
    telegram = (f"https://t.me/{quote(username, safe='')}?start={consultation.slug}"
                if username and len(consultation.slug) <= SLUG_LIMIT else None)
    return EntryPoints(form_url=form_url(public_base_url, consultation.slug),
                       sms_keyword=consultation.sms_keyword or None,
                       sms_number=show_number(sms_number) if sms_number else None,
                       telegram_url=telegram)


# -- what came in ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsultationSummary:
    total: int
    channels: list[Count]
    services: list[Count]
    languages: list[Count]
    needs: list[Count]
    fft: list[Count]             # all six answers in NHS England's order, zeros included
    fft_answers: int
    fft_positive: int | None     # per cent of all answers, "Don't know" included; None if none
    fft_negative: int | None
    first_received: datetime | None
    last_received: datetime | None


def _percent(part: int, whole: int) -> int | None:
    return None if whole == 0 else (200 * part + whole) // (2 * whole)   # rounded half up


def summary(session: Session, labels: Labels, consultation: Consultation) -> ConsultationSummary:
    """Counts of the feedback linked to the consultation (by its entry points or by routing)."""
    filters = FeedbackFilters(consultation=consultation.slug)
    ids = statement(filters).with_only_columns(Feedback.id).order_by(None)
    ratings: dict[str, int] = {rating: number for rating, number in session.execute(
        select(Feedback.fft_rating, func.count())
        .where(Feedback.id.in_(ids), Feedback.fft_rating.is_not(None))
        .group_by(Feedback.fft_rating))}
    fft = [Count(r.value, FFT_LABELS[r], ratings.get(r.value, 0)) for r in FftRating]
    answers = sum(c.count for c in fft)
    positive = ratings.get(FftRating.VERY_GOOD, 0) + ratings.get(FftRating.GOOD, 0)
    negative = ratings.get(FftRating.POOR, 0) + ratings.get(FftRating.VERY_POOR, 0)
    first, last = session.execute(select(func.min(Feedback.received_at),
                                         func.max(Feedback.received_at))
                                  .where(Feedback.id.in_(ids))).one()
    return ConsultationSummary(
        total=count(session, filters),
        channels=labels.counts("channel", facet_counts(session, filters, "channel")),
        services=labels.counts("service", facet_counts(session, filters, "service")),
        languages=labels.counts("language", facet_counts(session, filters, "language")),
        needs=labels.counts("need", facet_counts(session, filters, "need")),
        fft=fft, fft_answers=answers,
        fft_positive=_percent(positive, answers), fft_negative=_percent(negative, answers),
        first_received=first, last_received=last)


def feedback_for_report(session: Session, consultation: Consultation,
                        limit: int = 2_000) -> list[Feedback]:
    """The consultation's feedback, newest first, for the printed report (redacted text only is
    shown from these)."""
    return list(session.scalars(statement(FeedbackFilters(consultation=consultation.slug))
                                .limit(limit)))


def record_export(session: Session, consultation: Consultation, actor: str, now: datetime,
                  what: str) -> None:
    """Feedback leaving the workspace (a CSV file, a printed report) is audited."""
    _audit(session, actor, "consultation.exported", consultation, now, {"format": what})
