"""Consultation pages: the list, setting one up (admins), opening and closing it, and one
consultation with its entry points and what came in. Posters, QR codes and reports are in
``consultation_materials``; the rules live in ``intake.staff.consultations``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from intake.staff import consultations as core
from intake.staff.consultations import STATUS_LABELS, ConsultationDetails, EntryPoints
from intake.staff.dates import end_of_day, last_day, local_date, show_moment, start_of_day
from intake.staff.labels import Count, Labels
from intake.staff.permissions import Action
from intake.staff.validation import Invalid
from intake.storage.models import Consultation
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint
from webhooks.staff.form_dates import date_values, error_links, read_date, values_of
from webhooks.staff.queue_links import link_if, queue_link

DATE_FIELDS = ("opens", "closes")
STATUS_COLOURS = {"planned": "grey", "scheduled": "blue", "open": "green", "closed": "orange",
                  "reported": "white"}


def consultation_or_404(db: Session, slug: str) -> Consultation:
    found = db.scalar(select(Consultation).where(Consultation.slug == slug))
    if found is None:
        abort(404)
    return found


def status_tag(consultation: Consultation, now: datetime) -> dict[str, str]:
    phase = core.phase(consultation, now)
    return {"text": STATUS_LABELS.get(phase, phase), "colour": STATUS_COLOURS.get(phase, "grey")}


def entry_points_for(consultation: Consultation) -> EntryPoints:
    """From the app's settings: PUBLIC_BASE_URL, the Twilio number, the Telegram bot's name."""
    twilio, telegram = current_app.config.get("TWILIO"), current_app.config.get("TELEGRAM")
    return core.entry_points(consultation, current_app.config["PUBLIC_BASE_URL"],
                             getattr(twilio, "from_number", "") or "",
                             getattr(telegram, "bot_username", "") or "")


def questions_for_page(consultation: Consultation) -> list[dict[str, str]]:
    """Each question with its language's name and direction, for lang and dir attributes."""
    config = current_runtime().config
    shown = []
    for code, text in consultation.questions.items():
        language = config.language(code)
        shown.append({"code": code, "language": language.name if language else code,
                      "direction": language.direction if language else "ltr", "text": text})
    return shown


@blueprint.get("/consultations")
@requires(Action.READ_QUEUE)
def consultations() -> str:
    now = current_runtime().intake.clock()
    with current_runtime().sessions() as db:
        rows = [{"title": c.title, "href": url_for("staff.consultation", slug=c.slug), "slug": c.slug,
                 "status": status_tag(c, now), "keyword": c.sms_keyword or "",
                 "opens": show_moment(c.opens_at), "closes": show_moment(c.closes_at)}
                for c in db.scalars(select(Consultation).order_by(Consultation.created_at.desc(),
                                                                  Consultation.id.desc()))]
    return render_template("staff/consultations_list.html", title="Consultations", rows=rows,
                           can_manage=principal().can(Action.MANAGE_CONSULTATIONS))


# -- setting one up (admins) ---------------------------------------------------------------------

def _moment(day: date | None, current: datetime | None, to_moment: Callable[[date], datetime],
            to_day: Callable[[datetime], date]) -> datetime | None:
    """The form's day as a moment; an unchanged day keeps its exact moment (opening "now" set
    the time of day, which re-saving the form must not move)."""
    if day is None:
        return None
    if current is not None and to_day(current) == day:
        return current
    return to_moment(day)


def _details_from(form: MultiDict[str, str], current: Consultation | None,
                  errors: dict[str, str]) -> ConsultationDetails:
    config = current_runtime().config
    opens = read_date(form, "opens", "The opening date", errors)
    closes = read_date(form, "closes", "The closing date", errors)
    return ConsultationDetails(
        slug=form.get("slug", ""), title=form.get("title", ""), summary=form.get("summary", ""),
        services=tuple(form.getlist("services")),
        keywords=tuple(re.split(r"[,\n]", form.get("keywords", ""))),
        questions={code: form.get(f"question_{code}", "") for code in config.language_codes},
        sms_keyword=form.get("sms_keyword", ""),
        opens_at=_moment(opens, current.opens_at if current else None, start_of_day, local_date),
        closes_at=_moment(closes, current.closes_at if current else None, end_of_day, last_day))


def _on_form(errors: dict[str, str]) -> dict[str, str]:
    """The core names the closing moment ``closes_at``; the form's date boxes are ``closes``."""
    return {("closes" if name == "closes_at" else name): text for name, text in errors.items()}


FORM_ORDER = ("title", "slug", "summary", "services", "keywords", "question_", "sms_keyword",
              "opens", "closes")


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    def place(name: str) -> int:
        return next((n for n, prefix in enumerate(FORM_ORDER) if name.startswith(prefix)),
                    len(FORM_ORDER))
    return dict(sorted(errors.items(), key=lambda pair: place(pair[0])))


def _form_page(consultation: Consultation | None, values: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> tuple[str, int]:
    config = current_runtime().config
    chosen = set(values.get("services", ()))
    services = [{"value": s.id, "text": s.name, "checked": s.id in chosen} for s in config.services]
    questions = [{"code": lang.code, "name": lang.name, "native": lang.native_name,
                  "direction": lang.direction, "value": values.get(f"question_{lang.code}", ""),
                  "required": lang.code == config.languages.default}
                 for lang in config.languages.languages]
    translations_open = any(q["value"] or f"question_{q['code']}" in errors
                            for q in questions if not q["required"])
    locked = consultation is not None and consultation.status != "planned"
    return render_template(
        "staff/consultation_form.html",
        title="Edit consultation" if consultation else "New consultation",
        slug=consultation.slug if consultation else None, slug_locked=locked, values=values,
        errors=errors, service_items=services, questions=questions,
        translations_open=translations_open,
        form_prefix=core.form_url(current_app.config["PUBLIC_BASE_URL"], ""),
        error_summary=error_links(_in_form_order(errors), DATE_FIELDS)), status


def _typed(form: MultiDict[str, str]) -> dict[str, Any]:
    return {**form.to_dict(), "services": form.getlist("services"),
            **{name: date_values(form, name) for name in DATE_FIELDS}}


@blueprint.route("/consultations/new", methods=["GET", "POST"])
@requires(Action.MANAGE_CONSULTATIONS)
def new_consultation() -> tuple[str, int] | Response:
    if request.method == "GET":
        return _form_page(None, {"services": [], "opens": values_of(None),
                                 "closes": values_of(None)}, {})
    runtime, who = current_runtime(), principal()
    errors: dict[str, str] = {}
    details = _details_from(request.form, None, errors)
    with runtime.sessions() as db:
        try:
            created = core.create_consultation(db, runtime.config, details, who.actor,
                                               runtime.intake.clock())
        except Invalid as exc:
            errors.update(_on_form(exc.errors))
        if errors:
            db.rollback()
            return _form_page(None, _typed(request.form), errors, 400)
        db.commit()
        slug = created.slug
    flash("The consultation has been created. Open it when it is ready to take answers.")
    return redirect(url_for("staff.consultation", slug=slug))  # type: ignore[return-value]


@blueprint.route("/consultations/<slug>/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_CONSULTATIONS)
def edit_consultation(slug: str) -> tuple[str, int] | Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        consultation = consultation_or_404(db, slug)
        if request.method == "GET":
            return _form_page(consultation, {
                "title": consultation.title, "slug": consultation.slug,
                "summary": consultation.summary, "services": list(consultation.services),
                "keywords": "\n".join(consultation.keywords),
                "sms_keyword": consultation.sms_keyword or "",
                **{f"question_{code}": text for code, text in consultation.questions.items()},
                "opens": values_of(local_date(consultation.opens_at) if consultation.opens_at else None),
                "closes": values_of(last_day(consultation.closes_at) if consultation.closes_at else None),
            }, {})
        errors: dict[str, str] = {}
        details = _details_from(request.form, consultation, errors)
        try:
            changed = core.edit_consultation(db, runtime.config, consultation, details, who.actor,
                                             runtime.intake.clock())
        except Invalid as exc:
            errors.update(_on_form(exc.errors))
        if errors:
            db.rollback()
            return _form_page(consultation, _typed(request.form), errors, 400)
        db.commit()
        slug = consultation.slug
    flash("The consultation has been updated." if changed else "Nothing was changed.")
    return redirect(url_for("staff.consultation", slug=slug))  # type: ignore[return-value]


def _change(slug: str, change: Callable[..., None], done: str) -> Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        consultation = consultation_or_404(db, slug)
        try:
            change(db, consultation, who.actor, runtime.intake.clock())
        except Invalid as exc:
            db.rollback()
            flash(" ".join(exc.errors.values()) + ".")
        else:
            db.commit()
            flash(done)
    return redirect(url_for("staff.consultation", slug=slug))  # type: ignore[return-value]


@blueprint.post("/consultations/<slug>/open")
@requires(Action.MANAGE_CONSULTATIONS)
def open_consultation(slug: str) -> Response:
    return _change(slug, core.open_consultation, "The consultation is open.")


@blueprint.post("/consultations/<slug>/close")
@requires(Action.MANAGE_CONSULTATIONS)
def close_consultation(slug: str) -> Response:
    return _change(slug, core.close_consultation, "The consultation is closed.")


@blueprint.post("/consultations/<slug>/reported")
@requires(Action.MANAGE_CONSULTATIONS)
def consultation_reported(slug: str) -> Response:
    return _change(slug, core.mark_reported, "The consultation is marked as reported.")


# -- one consultation ----------------------------------------------------------------------------

def counted(slug: str, facet: str, counts: list[Count]) -> list[dict[str, Any]]:
    return [{"label": c.label, "count": c.count,
             "href": queue_link(consultation=slug, **{facet: c.value})} for c in counts]


def summary_for_page(db: Session, consultation: Consultation) -> dict[str, Any]:
    """What came in, shaped for the detail page and the report."""
    result = core.summary(db, Labels(current_runtime().config), consultation)
    slug = consultation.slug
    return {"total": result.total, "first": show_moment(result.first_received),
            "last": show_moment(result.last_received),
            "channels": counted(slug, "channel", result.channels),
            "services": counted(slug, "service", result.services),
            "languages": counted(slug, "language", result.languages),
            "needs": counted(slug, "need", result.needs),
            "fft": [{"label": c.label, "count": c.count} for c in result.fft],
            "fft_answers": result.fft_answers, "fft_positive": result.fft_positive,
            "fft_negative": result.fft_negative, "all": queue_link(consultation=slug)}


@blueprint.get("/consultations/<slug>")
@requires(Action.READ_QUEUE)
def consultation(slug: str) -> str:
    runtime = current_runtime()
    now = runtime.intake.clock()
    with runtime.sessions() as db:
        found = consultation_or_404(db, slug)
        labels = Labels(runtime.config)
        phase = core.phase(found, now)
        return render_template(
            "staff/consultation.html", title=found.title, consultation=found,
            status=status_tag(found, now), phase=phase, entry=entry_points_for(found),
            questions=questions_for_page(found),
            services=", ".join(labels.service(s) for s in found.services),
            opens=show_moment(found.opens_at), closes=show_moment(found.closes_at),
            summary=summary_for_page(db, found),
            can_manage=principal().can(Action.MANAGE_CONSULTATIONS),
            invite=link_if("staff.invite", slug=found.slug)
            if principal().can(Action.SEND_CAMPAIGN) else None,
            can_open=found.status in ("planned", "closed"),
            can_close=found.status in ("planned", "open"), can_report=found.status == "closed")
