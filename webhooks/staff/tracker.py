"""The Involve tracker pages: the list with red/amber/green ratings, one item with its history and
linked feedback, and the forms that keep it current. The rules live in ``intake.staff.tracker``;
these views read forms, call it, and show its messages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from intake.staff import tracker as core
from intake.staff.dates import show_date, show_moment
from intake.staff.labels import Labels
from intake.staff.permissions import Action
from intake.staff.tracker import PROGRESS_FIELDS, RATING_LABELS, STATUS_LABELS, TrackerDetails
from intake.staff.validation import Invalid
from intake.storage.models import RagRating, TrackerItem, TrackerStatus
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint
from webhooks.staff.form_dates import date_values, error_links, read_date, values_of
from webhooks.staff.queue_links import item_link, link_if, queue_link

DATE_FIELDS = ("start_date", "due_date")
# NHS.UK tag colours; the tag always says the rating in words too.
RATING_COLOURS = {RagRating.RED: "red", RagRating.AMBER: "orange", RagRating.GREEN: "green"}
STATUS_COLOURS = {TrackerStatus.ACTIVE: "blue", TrackerStatus.PAUSED: "grey",
                  TrackerStatus.COMPLETED: "white"}
# What the status buttons on an item say, by the status they move it to.
STATUS_ACTIONS = {TrackerStatus.COMPLETED: "Mark as completed", TrackerStatus.PAUSED: "Pause",
                  TrackerStatus.ACTIVE: "Make active again"}


def rating_tag(rating: str) -> dict[str, str]:
    return {"text": RATING_LABELS.get(rating, rating),  # type: ignore[call-overload]
            "colour": RATING_COLOURS.get(rating, "grey")}  # type: ignore[call-overload]


def status_tag(status: str) -> dict[str, str]:
    return {"text": STATUS_LABELS.get(status, status),  # type: ignore[call-overload]
            "colour": STATUS_COLOURS.get(status, "grey")}  # type: ignore[call-overload]


def _labels() -> Labels:
    return Labels(current_runtime().config)


def _item_or_404(db: Session, item_id: int) -> TrackerItem:
    item = db.get(TrackerItem, item_id)
    if item is None:
        abort(404)
    return item


def _choice(value: str | None, allowed: type[RagRating] | type[TrackerStatus]) -> str | None:
    return value if value in {member.value for member in allowed} else None


@blueprint.get("/tracker")
@requires(Action.READ_QUEUE)
def tracker() -> str:
    status = _choice(request.args.get("status"), TrackerStatus)
    rating = _choice(request.args.get("rating"), RagRating)
    labels = _labels()
    with current_runtime().sessions() as db:
        rows = [{"id": row.item.id, "title": row.item.title, "rating": rating_tag(row.item.rag_rating),
                 "status": status_tag(row.item.status), "owner": row.item.owner,
                 "services": ", ".join(labels.service(s) for s in row.item.services),
                 "due": show_date(row.item.due_date), "linked": row.linked,
                 "href": url_for("staff.tracker_item", item_id=row.item.id)}
                for row in core.list_items(db, status, rating)]
    return render_template(
        "staff/tracker_list.html", title="Tracker", rows=rows,
        can_manage=principal().can(Action.MANAGE_TRACKER),
        status_items=_select_items(STATUS_LABELS, status, "Any status"),
        rating_items=_select_items(RATING_LABELS, rating, "Any rating"),
        filtered=bool(status or rating))


def _select_items(labels: dict[Any, str], chosen: str | None, anything: str) -> list[dict[str, Any]]:
    return [{"value": "", "text": anything}] + [
        {"value": value.value, "text": text, "selected": value.value == chosen}
        for value, text in labels.items()]


# -- creating and editing (admins) --------------------------------------------------------------

def _details_from(form: MultiDict[str, str], errors: dict[str, str]) -> TrackerDetails:
    return TrackerDetails(
        title=form.get("title", ""), description=form.get("description", ""),
        services=tuple(form.getlist("services")), owner=form.get("owner", ""),
        start_date=read_date(form, "start_date", "The start date", errors),
        due_date=read_date(form, "due_date", "The due date", errors))


def _form_page(item: TrackerItem | None, values: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> tuple[str, int]:
    config = current_runtime().config
    chosen = set(values.get("services", ()))
    services = [{"value": s.id, "text": s.name, "checked": s.id in chosen} for s in config.services]
    return render_template(
        "staff/tracker_form.html", title="Edit tracker item" if item else "New tracker item",
        item_id=item.id if item else None, values=values, errors=errors, service_items=services,
        rating_items=[{"value": r.value, "text": RATING_LABELS[r],
                       "checked": values.get("rating") == r.value} for r in RagRating],
        error_summary=error_links(_in_form_order(errors), DATE_FIELDS)), status


FORM_ORDER = ("title", "description", "services", "owner", "start_date", "due_date", "rating", "note")


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    return dict(sorted(errors.items(), key=lambda pair: FORM_ORDER.index(pair[0])
                       if pair[0] in FORM_ORDER else len(FORM_ORDER)))


def _typed(form: MultiDict[str, str]) -> dict[str, Any]:
    return {**form.to_dict(), "services": form.getlist("services"),
            **{name: date_values(form, name) for name in DATE_FIELDS}}


@blueprint.route("/tracker/new", methods=["GET", "POST"])
@requires(Action.MANAGE_TRACKER)
def new_tracker_item() -> tuple[str, int] | Response:
    if request.method == "GET":
        return _form_page(None, {"services": [], **{n: values_of(None) for n in DATE_FIELDS}}, {})
    runtime, who = current_runtime(), principal()
    errors: dict[str, str] = {}
    details = _details_from(request.form, errors)
    with runtime.sessions() as db:
        try:
            item = core.create_item(db, runtime.config, details, request.form.get("rating", ""),
                                    request.form.get("note", ""), who.actor, runtime.intake.clock())
        except Invalid as exc:
            errors.update(exc.errors)
        if errors:
            db.rollback()
            return _form_page(None, _typed(request.form), errors, 400)
        db.commit()
        item_id = item.id
    flash("The tracker item has been created.")
    return redirect(url_for("staff.tracker_item", item_id=item_id))  # type: ignore[return-value]


@blueprint.route("/tracker/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_TRACKER)
def edit_tracker_item(item_id: int) -> tuple[str, int] | Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        item = _item_or_404(db, item_id)
        if request.method == "GET":
            return _form_page(item, {
                "title": item.title, "description": item.description, "owner": item.owner,
                "services": list(item.services), "start_date": values_of(item.start_date),
                "due_date": values_of(item.due_date)}, {})
        errors: dict[str, str] = {}
        details = _details_from(request.form, errors)
        try:
            changed = core.edit_item(db, runtime.config, item, details, who.actor,
                                     runtime.intake.clock())
        except Invalid as exc:
            errors.update(exc.errors)
        if errors:
            db.rollback()
            return _form_page(item, _typed(request.form), errors, 400)
        db.commit()
    flash("The tracker item has been updated." if changed else "Nothing was changed.")
    return redirect(url_for("staff.tracker_item", item_id=item_id))  # type: ignore[return-value]


@blueprint.post("/tracker/<int:item_id>/status")
@requires(Action.MANAGE_TRACKER)
def tracker_item_status(item_id: int) -> Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        item = _item_or_404(db, item_id)
        try:
            core.change_status(db, item, request.form.get("status", ""), who.actor,
                               runtime.intake.clock())
        except Invalid:
            abort(400)
        db.commit()
        flash(f"The item is now {STATUS_LABELS[TrackerStatus(item.status)].lower()}.")
    return redirect(url_for("staff.tracker_item", item_id=item_id))  # type: ignore[return-value]


# -- one item, and the reviewers' forms ---------------------------------------------------------

def _detail_page(db: Session, item: TrackerItem, errors: dict[str, str] | None = None,
                 values: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    labels, who = _labels(), principal()
    summary = core.linked_summary(db, labels, item)

    def counted(facet: str, counts: list[Any]) -> list[dict[str, Any]]:
        return [{"label": c.label, "count": c.count,
                 "href": queue_link(tracker=item.id, **{facet: c.value})} for c in counts]

    history = [{"when": show_moment(change.changed_at), "rating": rating_tag(change.rating),
                "note": change.note, "by": change.changed_by.removeprefix("staff:")}
               for change in core.rating_history(db, item)]
    recent = [{"reference": r.reference, "href": item_link(r.reference),
               "received": show_moment(r.received_at), "channel": r.channel, "excerpt": r.excerpt,
               "linked_by": r.linked_by.removeprefix("staff:")} for r in summary.recent]
    moves = [{"value": s.value, "text": text} for s, text in STATUS_ACTIONS.items() if s != item.status]
    progress = [{"name": name, "label": label, "text": getattr(item, name),
                 "value": (values or {}).get(name, getattr(item, name))}
                for name, label in PROGRESS_FIELDS.items()]
    errors = errors or {}
    return render_template(
        "staff/tracker_item.html", title=item.title, item=item, errors=errors,
        error_summary=error_links(errors), values=values or {},
        rating=rating_tag(item.rag_rating), status=status_tag(item.status),
        services=", ".join(labels.service(s) for s in item.services),
        dates={"start": show_date(item.start_date), "due": show_date(item.due_date),
               "completed": show_date(item.completed_date),
               "updated": show_moment(item.updated_at)},
        rating_items=[{"value": r.value, "text": RATING_LABELS[r],
                       "checked": (values or {}).get("rating") == r.value} for r in RagRating],
        progress=progress, history=history, moves=moves, total=summary.total,
        by_service=counted("service", summary.services),
        by_language=counted("language", summary.languages),
        by_need=counted("need", summary.needs), recent=recent,
        all_linked=queue_link(tracker=item.id),
        can_update=who.can(Action.UPDATE_TRACKER), can_manage=who.can(Action.MANAGE_TRACKER),
        can_link=who.can(Action.TRIAGE),
        campaign=link_if("staff.you_said_we_did", item_id=item.id)
        if who.can(Action.SEND_CAMPAIGN) else None), status


@blueprint.get("/tracker/<int:item_id>")
@requires(Action.READ_QUEUE)
def tracker_item(item_id: int) -> tuple[str, int]:
    with current_runtime().sessions() as db:
        return _detail_page(db, _item_or_404(db, item_id))


@blueprint.post("/tracker/<int:item_id>/rating")
@requires(Action.UPDATE_TRACKER)
def rate_tracker_item(item_id: int) -> tuple[str, int] | Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        item = _item_or_404(db, item_id)
        try:
            change = core.rate(db, item, request.form.get("rating", ""), request.form.get("note", ""),
                               who.actor, runtime.intake.clock())
        except Invalid as exc:
            db.rollback()
            return _detail_page(db, item, exc.errors, request.form.to_dict(), 400)
        db.commit()
        flash(f"The rating is now {RATING_LABELS[RagRating(change.rating)].lower()}.")
    return redirect(url_for("staff.tracker_item", item_id=item_id, _anchor="rating-history"))  # type: ignore[return-value]


@blueprint.post("/tracker/<int:item_id>/progress/<name>")
@requires(Action.UPDATE_TRACKER)
def tracker_item_progress(item_id: int, name: str) -> tuple[str, int] | Response:
    if name not in PROGRESS_FIELDS:
        abort(404)
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        item = _item_or_404(db, item_id)
        try:
            changed = core.update_progress(db, item, name, request.form.get(name, ""), who.actor,
                                           runtime.intake.clock())
        except Invalid as exc:
            db.rollback()
            return _detail_page(db, item, exc.errors, request.form.to_dict(), 400)
        db.commit()
    flash(f"{PROGRESS_FIELDS[name]} saved." if changed else f"{PROGRESS_FIELDS[name]}: nothing changed.")
    return redirect(url_for("staff.tracker_item", item_id=item_id, _anchor=name))  # type: ignore[return-value]


@blueprint.post("/tracker/<int:item_id>/links")
@requires(Action.TRIAGE)
def link_tracker_feedback(item_id: int) -> tuple[str, int] | Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        item = _item_or_404(db, item_id)
        try:
            result = core.link_feedback(db, item, request.form.get("references", ""), who.actor,
                                        runtime.intake.clock())
        except Invalid as exc:
            db.rollback()
            return _detail_page(db, item, exc.errors, request.form.to_dict(), 400)
        db.commit()
    for count, words in ((len(result.linked), "linked"),
                         (len(result.already_linked), "were already linked")):
        if count:
            flash(f"{count} feedback item{'s' if count != 1 else ''} {words}.")
    if result.not_found:
        flash("No feedback has the reference " + ", ".join(result.not_found) + ".")
    if result.unreadable:
        flash("These are not feedback references: " + ", ".join(result.unreadable)
              + ". A reference looks like FB-7K3M9Q.")
    return redirect(url_for("staff.tracker_item", item_id=item_id, _anchor="linked"))  # type: ignore[return-value]


@blueprint.post("/tracker/<int:item_id>/links/<reference>/remove")
@requires(Action.TRIAGE)
def unlink_tracker_feedback(item_id: int, reference: str) -> Response:
    runtime, who = current_runtime(), principal()
    with runtime.sessions() as db:
        item = _item_or_404(db, item_id)
        removed = core.unlink_feedback(db, item, reference, who.actor, runtime.intake.clock())
        db.commit()
    flash(f"{reference} is no longer linked." if removed else f"{reference} was not linked.")
    return redirect(url_for("staff.tracker_item", item_id=item_id, _anchor="linked"))  # type: ignore[return-value]
