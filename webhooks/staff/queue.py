"""The feedback queue: newest first, open safety-flagged items pinned on top, filters in the URL
(so a view can be shared), a count beside every filter value, and bulk actions for reviewers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.config import Config
from intake.feedback_query import NONE, FeedbackFilters, queue_page, tune_for_counting
from intake.feedback_sample import EVERY
from intake.staff import triage
from intake.staff.dates import end_of_day, show_moment, start_of_day
from intake.staff.labels import Labels
from intake.staff.permissions import Action
from intake.staff.validation import Invalid, read_id
from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Feedback,
    FeedbackStatus,
    TrackerItem,
    TrackerStatus,
)
from intake.tag_history import active_tags
from intake.view_counts import EXACT_UP_TO, ViewCounts, view_counts
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint

PAGE_SIZE = 25
EXCERPT = 200
# Query-string names: the URL is the view, so these are what people share.
TEXT_FILTERS = ("status", "channel", "service", "language", "need", "flag", "theme", "consultation")
DATE_FILTERS = ("since", "until")
FILTER_NAMES = (*TEXT_FILTERS, "tracker", *DATE_FILTERS, "q")


@dataclass(frozen=True)
class QueueRequest:
    args: dict[str, str]          # the filters as given, cleaned: for links
    filters: FeedbackFilters
    page: int
    errors: dict[str, str]


def read_request(values: Mapping[str, str]) -> QueueRequest:
    """Filters from a query string. A value that cannot be a filter is dropped with a message,
    never turned into an error page: a shared link should still open."""
    args = {name: values.get(name, "").strip() for name in FILTER_NAMES}
    args = {name: value[:200] for name, value in args.items() if value}
    errors: dict[str, str] = {}
    dates: dict[str, date] = {}
    for name in DATE_FILTERS:
        if name in args:
            try:
                dates[name] = date.fromisoformat(args[name])
            except ValueError:
                errors[name] = "Enter a date like 2026-11-02"
                del args[name]
    if "tracker" in args and read_id(args["tracker"]) is None:
        errors["filter-tracker"] = "Choose a tracker item from the list"
        del args["tracker"]
    if "status" in args and args["status"] not in set(FeedbackStatus):
        errors["filter-status"] = "Choose a status from the list"
        del args["status"]
    filters = FeedbackFilters(
        **{name: args.get(name) for name in TEXT_FILTERS},
        tracker=read_id(args["tracker"]) if "tracker" in args else None,
        since=start_of_day(dates["since"]) if "since" in dates else None,
        until=end_of_day(dates["until"]) if "until" in dates else None,
        text=args.get("q"))
    page = values.get("page", "1")
    return QueueRequest(args, filters, read_id(page) or 1, errors)


def queue_url(args: Mapping[str, str], page: int = 1, **changes: str | None) -> str:
    merged = {**args, **changes}
    query = {k: v for k, v in merged.items() if v}
    if page > 1:
        query["page"] = str(page)
    return url_for("staff.queue", **query)


def _select(name: str, label: str, args: Mapping[str, str], counts: ViewCounts,
            choices: list[tuple[str, str]], any_text: str = "Any") -> dict[str, object]:
    """A select's parameters, a count beside each value. Values the configuration does not list
    but items have (a retired service) are added, so nothing is hidden by the filter list."""
    chosen = args.get(name, "")
    values = dict(choices)
    extra = [v for v in counts.facets[name] if v not in values and v != NONE]
    if chosen and chosen not in values and chosen not in extra and chosen != NONE:
        extra.append(chosen)
    items = [{"value": "", "text": any_text}]
    for value, text in [*choices, *((v, v) for v in sorted(extra))]:
        items.append({"value": value, "text": f"{text} ({counts.shown(name, value)})",
                      "selected": value == chosen})
    return {"id": f"filter-{name}", "name": name, "label": {"text": label}, "items": items}


def _none(item: dict[str, object], labels: Labels, kind: str, counts: ViewCounts,
          chosen: str) -> dict[str, object]:
    items = list(item["items"])  # type: ignore[call-overload]
    items.append({"value": NONE, "text": f"{labels.label(kind, NONE)} ({counts.shown(kind, NONE)})",
                  "selected": chosen == NONE})
    return {**item, "items": items}


def _need_choices(labels: Labels, config: Config, counts: ViewCounts,
                  chosen: str) -> list[tuple[str, str]]:
    """Needs someone may have (the full list is long), plus any interpreter, plus the chosen one."""
    configured = [*(n.id for n in config.needs.needs), config.needs.interpreter.id]
    found = counts.facets["need"]
    values = [v for v in configured if counts.may_have("need", v)] + sorted(
        v for v in found if v not in configured and v != NONE and found[v])
    if chosen and chosen != NONE and chosen not in values:
        values.append(chosen)
    return [(v, f"{labels.need(v)} (any language)" if v == config.needs.interpreter.id
             else labels.need(v)) for v in values]


def filter_fields(session: Session, config: Config, request_: QueueRequest,
                  counts: ViewCounts) -> list[dict[str, object]]:
    """Every filter as a select's parameters, counts from the other filters applied."""
    labels, args = Labels(config), request_.args
    consultations = session.scalars(select(Consultation).order_by(Consultation.title)).all()
    trackers = session.scalars(select(TrackerItem).order_by(TrackerItem.title)).all()
    fields = [
        _select("status", "Status", args, counts,
                [(s.value, labels.status(s)) for s in FeedbackStatus]),
        _select("channel", "Channel", args, counts,
                [(c, labels.channel(c)) for c in sorted(counts.facets["channel"])]),
        _none(_select("service", "Service", args, counts,
                      [(s.id, s.name) for s in config.services]),
              labels, "service", counts, args.get("service", "")),
        _none(_select("language", "Language", args, counts,
                      [(lang.code, lang.name) for lang in config.languages.languages
                       if counts.may_have("language", lang.code)
                       or args.get("language") == lang.code]),
              labels, "language", counts, args.get("language", "")),
        _none(_select("need", "Communication need", args, counts,
                      _need_choices(labels, config, counts, args.get("need", ""))),
              labels, "need", counts, args.get("need", "")),
        _select("flag", "Safety flag", args, counts,
                [(f.id, f.label) for f in config.safety.flags]),
        _select("theme", "Theme", args, counts,
                [(t, t) for t in sorted(counts.facets["theme"])]),
        _select("consultation", "Consultation", args, counts,
                [(c.slug, c.title) for c in consultations]),
        _select("tracker", "Tracker item", args, counts,
                [(str(t.id), t.title) for t in trackers]),
    ]
    for field in fields:
        if request_.errors.get(str(field["id"])):
            field["errorMessage"] = {"text": request_.errors[str(field["id"])]}
    return fields


def rows(session: Session, config: Config, filters: FeedbackFilters, page: int,
         share: float | None = None) -> list[dict[str, object]]:
    """One page of the queue, shaped for the table. ``share``: the part of all items the view
    matches, when the counts estimated it (so walking the queue's order finds a page soon)."""
    labels = Labels(config)
    items = queue_page(session, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE,
                       options=[selectinload(Feedback.tags)], share=share)
    shaped = []
    for item in items:
        tags = active_tags(item)

        def of(kind: str, tags: list = tags) -> list[str]:  # type: ignore[type-arg]
            return [labels.label(kind, t.value) for t in tags if t.kind == kind]

        text = " ".join(item.redacted_text.split())
        flags = of("flag")
        shaped.append({
            "reference": item.reference, "href": url_for("staff.item", reference=item.reference),
            "received": show_moment(item.received_at), "channel": labels.channel(item.channel),
            "excerpt": text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…",
            "services": of("service"), "languages": of("language"), "needs": of("need"),
            "flags": flags, "status": labels.status(item.status),
            "pinned": bool(flags) and item.status != FeedbackStatus.CLOSED})
    return shaped


def pagination(args: Mapping[str, str], page: int, pages: int) -> dict[str, object]:
    """The NHS.UK pagination component's parameters: the first and last pages, the current one
    and its neighbours, with an ellipsis for each gap."""
    numbers = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, object]] = []
    previous = 0
    for number in numbers:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": queue_url(args, number), "current": number == page})
        previous = number
    return {"items": items,
            "previous": {"href": queue_url(args, page - 1)} if page > 1 else None,
            "next": {"href": queue_url(args, page + 1)} if page < pages else None}


def active_filters(args: Mapping[str, str], fields: list[dict[str, object]]) -> list[dict[str, str]]:
    """Each filter in use with its label and a link that removes only it."""
    texts: dict[str, str] = {}
    for field in fields:
        for item in field["items"]:  # type: ignore[attr-defined]
            if item["value"] and item["value"] == args.get(str(field["name"])):
                texts[str(field["name"])] = str(item["text"]).rsplit(" (", 1)[0]
    shown = []
    for name, value in args.items():
        label = {"since": "From", "until": "To", "q": "Words"}.get(name)
        if label is None:
            field = next((f for f in fields if f["name"] == name), None)
            label = str(field["label"]["text"]) if field else name  # type: ignore[index]
        shown.append({"name": name, "label": label, "value": texts.get(name, value),
                      "remove": queue_url(args, **{name: None})})
    return shown


def render_queue(args: Mapping[str, str], errors: dict[str, str] | None = None,
                 status: int = 200) -> Response:
    runtime, who = current_runtime(), principal()
    wanted = read_request(args)
    errors = {**wanted.errors, **(errors or {})}
    exact_up_to = current_app.config.get("QUEUE_EXACT_COUNTS_UP_TO", EXACT_UP_TO)
    with runtime.sessions() as session:
        tune_for_counting(session)
        counts = view_counts(session, wanted.filters, exact_up_to)
        pages = max(1, -(-counts.total // PAGE_SIZE))
        page = min(wanted.page, pages)
        fields = filter_fields(session, runtime.config, wanted, counts)
        shaped = rows(session, runtime.config, wanted.filters, page, counts.share)
        bulk = bulk_choices(session, Labels(runtime.config)) if who.can(Action.TRIAGE) else None
    first = (page - 1) * PAGE_SIZE + 1
    response = make_response(render_template(
        "staff/queue.html", title="Feedback queue", errors=errors, rows=shaped,
        total=counts.total, total_text=counts.total_shown(), estimated=bool(counts.estimated),
        sample_every=EVERY, exact_up_to=exact_up_to,
        page=page, pages=pages, first=first, last=first + len(shaped) - 1,
        fields=fields, args=wanted.args,
        active=active_filters(wanted.args, fields), pagination=pagination(wanted.args, page, pages),
        bulk=bulk, back=urlencode(wanted.args | ({"page": str(page)} if page > 1 else {}))),
        status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _choose(prompt: str, choices: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"value": "", "text": prompt}] + [{"value": v, "text": t} for v, t in choices]


def bulk_choices(session: Session, labels: Labels) -> dict[str, list[dict[str, str]]]:
    """Select items for the bulk actions: every status, tracker items not completed,
    consultations not yet reported on."""
    return {
        "statuses": _choose("Choose a status", [(s.value, labels.status(s)) for s in FeedbackStatus]),
        "trackers": _choose("Choose a tracker item", [(str(t.id), t.title) for t in session.scalars(
            select(TrackerItem).where(TrackerItem.status != TrackerStatus.COMPLETED)
            .order_by(TrackerItem.title))]),
        "consultations": _choose("Choose a consultation", [(str(c.id), c.title) for c in session.scalars(
            select(Consultation).where(Consultation.status != ConsultationStatus.REPORTED)
            .order_by(Consultation.title))]),
    }


@blueprint.route("/queue")
@requires(Action.READ_QUEUE)
def queue() -> Response:
    return render_queue(request.args)


BULK_FIELDS = {"status": "bulk-status", "tracker": "bulk-tracker",
               "consultation": "bulk-consultation"}
BULK_DONE = {
    "confirm-tags": "Tags confirmed",
    "set-status": "Status changed",
    "link-tracker": "Linked to the tracker item",
    "link-consultation": "Linked to the consultation",
}


@blueprint.route("/queue/bulk", methods=["POST"])
@requires(Action.TRIAGE)
def queue_bulk() -> Response:
    runtime, who = current_runtime(), principal()
    form = request.form
    back = dict(parse_qsl(form.get("back", "")))
    back = {k: v for k, v in back.items() if k in (*FILTER_NAMES, "page")}
    references, action = form.getlist("reference"), form.get("action", "")
    now = runtime.intake.clock()
    try:
        with runtime.sessions.begin() as session:
            if action == "confirm-tags":
                result = triage.bulk_confirm_tags(session, references, who.actor, now)
            elif action == "set-status":
                result = triage.bulk_set_status(session, references, form.get("status", ""),
                                                who.actor, now)
            elif action in ("link-tracker", "link-consultation"):
                target = "tracker" if action == "link-tracker" else "consultation"
                chosen = read_id(form.get(target, ""))
                if chosen is None:
                    raise Invalid({target: f"Choose a {'tracker item' if target == 'tracker' else target} "
                                           "from the list"})
                link = (triage.bulk_link_tracker if target == "tracker"
                        else triage.bulk_link_consultation)
                result = link(session, references, chosen, who.actor, now)
            else:
                raise Invalid({"bulk": "Choose what to do with the selected items"})
    except Invalid as refused:
        return render_queue(back, {BULK_FIELDS.get(k, k): v for k, v in refused.errors.items()}, 400)
    message = f"{BULK_DONE[action]}: {len(result.changed)} of {len(references)} selected items changed."
    if result.unchanged:
        message += f" {len(result.unchanged)} already were as asked."
    if result.missing:
        message += f" {len(result.missing)} could not be found."
    flash(message)
    page = back.pop("page", "1")
    return redirect(queue_url(back, read_id(page) or 1))  # type: ignore[return-value]
