"""One feedback item: its text (or whole conversation), tags with their history, links, notes,
status history and the person behind it; the forms reviewers use on it; and, for admins, the
original text, audited. Every form posts back here and redirects (post/redirect/get); a refused
change shows the page again with the NHS.UK error summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.replies import CannotReply
from intake.staff import triage
from intake.staff.dates import show_moment
from intake.staff.item_view import item_view
from intake.staff.labels import Labels
from intake.staff.permissions import Action
from intake.staff.replying import EASY_READ_GUIDANCE, reply_options, send_reply
from intake.staff.validation import Invalid, read_id
from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Feedback,
    FeedbackStatus,
    TrackerItem,
    TrackerStatus,
)
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint


def _feedback(session: Session, reference: str) -> Feedback:
    feedback = triage.find(session, reference)
    if feedback is None:
        abort(404)
    return feedback


def _items(choices: list[tuple[str, str]], chosen: str = "",
           prompt: str | None = None) -> list[dict[str, object]]:
    items: list[dict[str, object]] = [{"value": "", "text": prompt}] if prompt else []
    return items + [{"value": v, "text": t, "selected": v == chosen} for v, t in choices]


def _forms(session: Session, runtime: Runtime, feedback: Feedback, view: Any) -> dict[str, Any]:
    """The choices each form offers, shaped for the NHS.UK macros."""
    config, labels = runtime.config, Labels(runtime.config)
    services = {t.value for t in view.tags_of("service")}
    language = next((t.value for t in view.tags_of("language")), "")
    have_needs = {t.value for t in view.tags_of("need")}
    have_flags = {t.value for t in view.tags_of("flag")}
    linked = {(link.target, link.target_id) for link in view.links}
    needs = [(n.id, labels.need(n.id)) for n in (*config.needs.needs, config.needs.interpreter)]
    needs += [(f"interpreter:{e.language}", labels.need(f"interpreter:{e.language}"))
              for e in config.needs.interpreter_languages]
    return {
        "statuses": _items([(s.value, labels.status(s)) for s in FeedbackStatus], feedback.status),
        "services": [{"value": s.id, "text": s.name, "checked": s.id in services}
                     for s in config.services],
        "languages": _items([(lang.code, lang.name) for lang in config.languages.languages],
                            language, "Choose a language"),
        "needs": _items([n for n in needs if n[0] not in have_needs], prompt="Choose a need"),
        "flags": _items([(f.id, f.label) for f in config.safety.flags if f.id not in have_flags],
                        prompt="Choose a safety flag"),
        "trackers": _items([(str(t.id), t.title) for t in session.scalars(
            select(TrackerItem).where(TrackerItem.status != TrackerStatus.COMPLETED)
            .order_by(TrackerItem.title)) if ("tracker", t.id) not in linked],
            prompt="Choose a tracker item"),
        "consultations": _items([(str(c.id), c.title) for c in session.scalars(
            select(Consultation).where(Consultation.status != ConsultationStatus.REPORTED)
            .order_by(Consultation.title)) if ("consultation", c.id) not in linked],
            prompt="Choose a consultation"),
    }


def render_item(reference: str, *, original: bool = False, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, status: int = 200) -> Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as session:
        feedback = _feedback(session, reference)
        view = item_view(session, runtime.config, runtime.intake.vault, feedback, who.role,
                         original=original, actor=who.actor, now=runtime.intake.clock())
        reply = reply_options(session, runtime.config, feedback)
        forms = _forms(session, runtime, feedback, view) if who.can(Action.TRIAGE) else None
        session.commit()   # the audit event for the original text, when shown
    values = values or {}
    languages = _items([(lang.code, lang.name) for lang in runtime.config.languages.languages],
                       values.get("language", reply.language))
    labels = Labels(runtime.config)
    response = make_response(render_template(
        "staff/item.html", title=f"Feedback {view.reference}", errors=errors or {}, item=view,
        forms=forms, reply=reply, reply_languages=languages, values=values,
        guidance=EASY_READ_GUIDANCE, labels=labels, show=show_moment,
        may_reply=who.can(Action.REPLY), may_see_original=who.can(Action.SEE_UNREDACTED)),
        status)
    # Personal data: never kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/feedback/<reference>")
@requires(Action.READ_QUEUE)
def item(reference: str) -> Response:
    return render_item(reference)


@blueprint.route("/feedback/<reference>/original", methods=["POST"])
@requires(Action.SEE_UNREDACTED)
def item_original(reference: str) -> Response:
    """Shown in the response to a deliberate, audited request; never put in a link or session."""
    return render_item(reference, original=True)


def _change(reference: str, change: Callable[[Session, Feedback, str, Any], str | None],
            values: dict[str, str] | None = None) -> Response:
    """Run one change in a transaction; flash what it did and go back to the page, or show the
    page again with what went wrong."""
    runtime, who = current_runtime(), principal()
    try:
        with runtime.sessions.begin() as session:
            feedback = _feedback(session, reference)
            done = change(session, feedback, who.actor, runtime.intake.clock())
    except Invalid as refused:
        return render_item(reference, errors=refused.errors, values=values, status=400)
    except CannotReply as refused:
        return render_item(reference, errors={"reply": str(refused)}, values=values, status=400)
    if done:
        flash(done)
    return redirect(url_for("staff.item", reference=feedback.reference))  # type: ignore[return-value]


def _number(field: str, what: str) -> int:
    number = read_id(request.form.get(field, ""))
    if number is None:
        raise Invalid({field: f"Choose {what} from the list"})
    return number


@blueprint.route("/feedback/<reference>/status", methods=["POST"])
@requires(Action.TRIAGE)
def item_status(reference: str) -> Response:
    status, labels = request.form.get("status", ""), Labels(current_runtime().config)

    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        if triage.set_status(session, feedback, status, actor, now):
            return f"Status changed to {labels.status(status)}."
        return None
    return _change(reference, change)


@blueprint.route("/feedback/<reference>/tags", methods=["POST"])
@requires(Action.TRIAGE)
def item_tags(reference: str) -> Response:
    """``set`` decides a kind's whole set (services, language); ``add`` adds one (need, flag)."""
    kind, operation = request.form.get("kind", ""), request.form.get("operation", "")
    config = current_runtime().config

    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        if kind not in triage.EDITABLE_KINDS:
            raise Invalid({"tag": "Choose what kind of tag to change"})
        if operation == "set":
            values = [v for v in request.form.getlist(kind) if v]
            if kind in triage.SINGLE_VALUED and not values:
                raise Invalid({kind: f"Choose a {kind} from the list"})
            changes = triage.set_tags(session, config, feedback, kind, values, actor, now)
            return "Tags saved." if changes else None
        value = request.form.get(kind, "")
        if not value:
            raise Invalid({kind: "Choose a value from the list"})
        triage.add_tag(session, config, feedback, kind, value, actor, now)
        return "Tag added."
    return _change(reference, change)


@blueprint.route("/feedback/<reference>/tags/<int:tag_id>", methods=["POST"])
@requires(Action.TRIAGE)
def item_tag(reference: str, tag_id: int) -> Response:
    operation = request.form.get("operation", "")

    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        if operation == "confirm":
            triage.confirm_tag(session, feedback, tag_id, actor, now)
            return "Tag confirmed."
        if operation == "remove":
            triage.remove_tag_by_id(session, feedback, tag_id, actor, now)
            return "Tag removed. It stays in the tag history."
        raise Invalid({"tag": "Choose whether to confirm or remove the tag"})
    return _change(reference, change)


@blueprint.route("/feedback/<reference>/tags/confirm-all", methods=["POST"])
@requires(Action.TRIAGE)
def item_confirm_all(reference: str) -> Response:
    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        confirmed = triage.confirm_tags(session, feedback, actor, now)
        return f"{confirmed} automatic tag{'s' if confirmed != 1 else ''} confirmed."
    return _change(reference, change)


@blueprint.route("/feedback/<reference>/links", methods=["POST"])
@requires(Action.TRIAGE)
def item_link(reference: str) -> Response:
    target, operation = request.form.get("target", ""), request.form.get("operation", "add")

    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        if target == "tracker":
            chosen = _number("tracker", "a tracker item")
            if operation == "remove":
                return ("Link removed." if triage.unlink_tracker(session, feedback, chosen, actor, now)
                        else None)
            return ("Linked to the tracker item." if triage.link_tracker(
                session, feedback, chosen, actor, now) else "It was already linked.")
        if target == "consultation":
            chosen = _number("consultation", "a consultation")
            if operation == "remove":
                return ("Link removed." if triage.unlink_consultation(
                    session, feedback, chosen, actor, now) else None)
            return ("Linked to the consultation." if triage.link_consultation(
                session, feedback, chosen, actor, now) else "It was already linked.")
        raise Invalid({"links": "Choose what to link the item to"})
    return _change(reference, change)


@blueprint.route("/feedback/<reference>/notes", methods=["POST"])
@requires(Action.TRIAGE)
def item_note(reference: str) -> Response:
    text, author = request.form.get("note", ""), principal().user_id

    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        triage.add_note(session, feedback, text, author, actor, now)
        return "Note added."
    return _change(reference, change, {"note": text})


@blueprint.route("/feedback/<reference>/reply", methods=["POST"])
@requires(Action.REPLY)
def item_reply(reference: str) -> Response:
    body, language = request.form.get("reply", ""), request.form.get("language", "")
    config = current_runtime().config

    def change(session: Session, feedback: Feedback, actor: str, now: Any) -> str | None:
        if not body.strip():
            raise Invalid({"reply": "Write the reply before sending it"})
        message = send_reply(session, config, feedback, body, language, actor, now)
        return f"Reply queued to go by {Labels(config).channel(message.channel)}."
    return _change(reference, change, {"reply": body, "language": language})
