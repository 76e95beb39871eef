"""The public pages: start page, feedback form (general and per consultation), confirmation,
privacy notice, and friendly error pages. Every answer goes through the shared pipeline.

When the feedback raised a safety flag, the confirmation page leads with an NHS.UK urgent care card
saying where to get help now (999, NHS 111, Samaritans), in the page's language.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from intake.message import FftRating, IncomingMessage
from intake.signposting import feedback_flags, record_signposting, was_signposted
from intake.storage.models import Consultation, Feedback, InboundState
from webhooks.extensions import csrf, limiter
from webhooks.forms.submission import NOT_SURE, check, to_message
from webhooks.forms.text import PageText, available_languages, page_text
from webhooks.runtime import current_runtime

blueprint = Blueprint("public", __name__)
OFFERED_NEEDS = ("bsl-interpreter", "interpreter", "easy-read", "large-print", "braille-grade-2",
                 "audio-format", "hearing-loop", "lipspeaker", "deafblind-manual-interpreter",
                 "advocate")
OTHER_SERVICE = "other"


def feedback_limit() -> str:
    return str(current_app.config["FEEDBACK_RATE_LIMIT"])


@blueprint.before_app_request
def remember_choices() -> None:
    """The language and Easy Read switches are links (they work without JavaScript); the choice
    is kept in the session for the pages that follow."""
    language = request.args.get("lang")
    if language is not None and language in available_languages():  # lists a directory
        session["lang"] = language
    if request.args.get("easy") in ("0", "1"):
        session["easy"] = request.args["easy"] == "1"


def current_text() -> PageText:
    return page_text(session.get("lang", "en"), bool(session.get("easy")))


def _switch_href(**change: str) -> str:
    args = {**request.args.to_dict(), **change}
    return f"{request.path}?{urlencode(args)}"


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    text = current_text()
    config = current_runtime().config
    options = []
    for code in available_languages():
        language = config.language(code)
        options.append({"code": code, "name": language.native_name if language else code,
                        "direction": language.direction if language else "ltr",
                        "current": code == text.language, "href": _switch_href(lang=code)})
    direction = next((o["direction"] for o in options if o["current"]), "ltr")
    easy_href = _switch_href(easy="0" if text.easy_read else "1") if text.language == "en" else None
    return render_template(
        template, t=text, htmlLang=text.language, htmlAttributes={"dir": direction},
        language_options=options, easy_read_href=easy_href, **context), status


@blueprint.get("/")
def start() -> tuple[str, int]:
    return render("public/start.html", title=current_text()("start_heading"))


@blueprint.get("/privacy")
def privacy() -> tuple[str, int]:
    text = current_text()
    return render("public/message.html", title=text("privacy_heading"),
                  heading=text("privacy_heading"), paragraphs=[text("privacy_body")])


@blueprint.route("/feedback", methods=["GET", "POST"])
@limiter.limit(feedback_limit, methods=["POST"])
def feedback() -> tuple[str, int] | Response:
    return _form(None)


@blueprint.route("/feedback/c/<slug>", methods=["GET", "POST"])
@limiter.limit(feedback_limit, methods=["POST"])
def consultation_feedback(slug: str) -> tuple[str, int] | Response:
    with current_runtime().sessions() as db:
        consultation = db.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        return not_found(None)
    now = current_runtime().intake.clock()
    if not consultation.is_open_at(now):
        text = current_text()
        return render("public/message.html", title=text("closed_heading"),
                      heading=text("closed_heading"), paragraphs=[text("closed_body")],
                      link={"href": url_for("public.feedback"), "text": text("closed_link")})
    return _form(consultation)


@blueprint.get("/feedback/confirmation")
def confirmation() -> tuple[str, int]:
    reference = session.get("reference")
    return render("public/confirmation.html", title=current_text()("confirmation_title"),
                  reference=reference, signposting=_signposting(reference))


def _signposting(reference: str | None) -> bool:
    """Whether the feedback just sent raised a safety flag, so the page shows where to get
    urgent help. The first time it is shown for an item is recorded in the audit log."""
    if not reference:
        return False
    runtime = current_runtime()
    with runtime.sessions.begin() as db:
        feedback = db.scalar(select(Feedback).where(Feedback.reference == reference))
        flags = feedback_flags(db, feedback.id) if feedback else ()
        if feedback is not None and flags and not was_signposted(db, "feedback", reference):
            record_signposting(db, entity_type="feedback", entity_id=reference, flags=flags,
                               channel="web", language=current_text().language,
                               at=runtime.intake.clock(), inbound_id=feedback.inbound_message_id)
    return bool(flags)


def _form(consultation: Consultation | None) -> tuple[str, int] | Response:
    text = current_text()
    values: dict[str, str] = {}
    chosen: list[str] = []
    errors: dict[str, str] = {}
    submission_id = uuid.uuid4().hex
    if request.method == "POST":
        values = request.form.to_dict()
        chosen = request.form.getlist("needs")
        submission_id = values.get("submission") or submission_id
        try:
            csrf.protect()
        except CSRFError:
            errors["what"] = text.error("csrf")
        if not errors:
            outcome = _submit(values, chosen, submission_id, consultation, text)
            if isinstance(outcome, Response):
                return outcome
            errors = outcome
    return _render_form(consultation, text, values, chosen, errors, submission_id)


def _submit(values: dict[str, str], chosen: list[str], submission_id: str,
            consultation: Consultation | None, text: PageText) -> Response | dict[str, str]:
    runtime = current_runtime()
    config = runtime.config
    if values.get("website"):  # the honeypot: only robots fill a field people cannot see
        inbound_id, _ = runtime.intake.receive(IncomingMessage(
            channel="web", provider_message_id=f"web-{submission_id}",
            text=values.get("what", ""), metadata={"form": values, "honeypot": True}))
        runtime.intake.mark_ignored(inbound_id, "honeypot field filled: automated submission")
        session["reference"] = None
        return redirect(url_for("public.confirmation"))
    checked = check(values, chosen, services=[s.id for s in config.services],
                    needs_offered=OFFERED_NEEDS,
                    interpreter_languages=[e.language for e in config.needs.interpreter_languages],
                    text=text, limit=config.limits.max_text_length)
    if checked.submission is None:
        return checked.errors
    message = to_message(checked.submission, f"web-{submission_id}",
                         consultation=consultation.slug if consultation else None, text=text)
    result = runtime.intake.ingest(message)
    if result.state == InboundState.REJECTED:
        return {"what": result.error or text.error("what_required")}
    session["reference"] = result.reference
    return redirect(url_for("public.confirmation"))


def _render_form(consultation: Consultation | None, text: PageText, values: dict[str, str],
                 chosen: list[str], errors: dict[str, str],
                 submission_id: str) -> tuple[str, int]:
    config = current_runtime().config
    services = sorted((s for s in config.services if s.id != OTHER_SERVICE), key=lambda s: s.name)
    service_items = [{"value": s.id, "text": s.name} for s in services]
    other = config.service(OTHER_SERVICE)
    if other is not None:
        service_items.append({"value": other.id, "text": other.name})
    service_items += [{"divider": text("service_or")},
                      {"value": NOT_SURE, "text": text("service_not_sure")}]
    ratings = [r.value for r in FftRating]
    fft_items: list[dict[str, str]] = [{"value": r, "text": text.label("fft", r)}
                                       for r in ratings[:-1]]
    fft_items += [{"divider": text("service_or")},
                  {"value": ratings[-1], "text": text.label("fft", ratings[-1])}]
    interpreter_items = [{"value": "", "text": text("interpreter_none")}] + [
        {"value": e.language, "text": e.names[0].capitalize()}
        for e in config.needs.interpreter_languages]
    order = ["about", "service", "what", "contact", "phone", "email"]
    # Each field's id is its name, so the summary links straight to it.
    error_list = [{"text": errors[f], "href": f"#{f}"} for f in order if f in errors]
    question = None
    if consultation is not None:
        question = consultation.questions.get(text.language) or consultation.questions.get("en")
    return render(
        "public/feedback.html", status=400 if errors else 200, title=text("form_heading"),
        errors=errors, error_list=error_list, values=values, chosen_needs=chosen,
        submission_id=submission_id, consultation=consultation, question=question,
        action=request.path, limit=config.limits.max_text_length, service_items=service_items,
        fft_items=fft_items, interpreter_items=interpreter_items,
        need_items=[{"value": n, "text": text.label("needs", n)} for n in OFFERED_NEEDS],
        phone_html=_contact_input("phone", "tel", "tel", text("phone_label"), values, errors),
        email_html=_contact_input("email", "email", "email", text("email_label"), values, errors),
        privacy_sentence=_privacy_sentence(text))


def _contact_input(name: str, kind: str, autocomplete: str, label: str,
                   values: dict[str, str], errors: dict[str, str]) -> Markup:
    return Markup(render_template("public/contact_input.html", name=name, kind=kind,
                                  autocomplete=autocomplete, label=label,
                                  value=values.get(name, ""), error=errors.get(name),
                                  error_prefix=current_text()("error_prefix")))


def _privacy_sentence(text: PageText) -> Markup:
    """The notice with its link words ("privacy notice") made a link."""
    sentence, words = text("privacy_notice"), text("privacy_link")
    link = Markup('<a class="nhsuk-link" href="{}">{}</a>').format(url_for("public.privacy"), words)
    if words in sentence:
        before, after = sentence.split(words, 1)
        return escape(before) + link + escape(after)
    return escape(sentence) + Markup(" ") + link


# -- friendly error pages ------------------------------------------------------------------
def _error_page(status: int, heading_key: str, body_key: str) -> tuple[str, int]:
    text = current_text()
    return render("public/message.html", status=status, title=text(heading_key),
                  heading=text(heading_key), paragraphs=[text(body_key)],
                  link={"href": url_for("public.start"), "text": text("service_name")})


@blueprint.app_errorhandler(404)
def not_found(_error: HTTPException | None) -> tuple[str, int]:
    return _error_page(404, "error_not_found", "error_not_found_body")


@blueprint.app_errorhandler(413)
def too_large(_error: HTTPException) -> tuple[str, int]:
    return _error_page(413, "error_too_large", "error_too_large_body")


@blueprint.app_errorhandler(429)
def too_many(_error: HTTPException) -> tuple[str, int]:
    return _error_page(429, "error_too_many", "error_too_many_body")


@blueprint.app_errorhandler(500)
def server_error(_error: HTTPException) -> tuple[str, int]:
    return _error_page(500, "error_heading", "error_generic_body")
