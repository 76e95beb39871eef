"""Data protection requests, for admins: erasure requests waiting (from Telegram /forget or
recorded by staff), finding a person, giving them everything held (subject access) and erasing.

A person is looked up by a POSTed form, never a URL, so phone numbers and emails stay out of
server logs and browser history. The rules live in ``intake.privacy``; these views read forms,
call it and show what it did. Every look-up, export and erasure is audited.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Response, abort, make_response, render_template, request

from intake.privacy.erasure import erase_person
from intake.privacy.people import (
    BadPersonKey,
    KeyKind,
    Person,
    PersonKey,
    PersonNotFound,
    audit_subject,
    find_person,
    parse_key,
)
from intake.privacy.records import records_of
from intake.privacy.requests import pending_requests
from intake.privacy.subject_access import subject_access
from intake.staff.dates import show_moment
from intake.staff.permissions import Action
from intake.storage.models import AuditEvent
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint

# UK GDPR Article 12(3): answer within one month of the request.
RESPONSE_DEADLINE = timedelta(days=30)
KEY_CHOICES = (
    (KeyKind.PHONE, "Phone number", "The number they text from or gave on a form."),
    (KeyKind.TELEGRAM, "Telegram user id", "A number; the bot's /forget request gives it."),
    (KeyKind.EMAIL, "Email address", "As they gave it on a form."),
    (KeyKind.REFERENCE, "Feedback reference", "For example FB-7K3M9Q, from their confirmation."),
    (KeyKind.PSEUDONYM, "Pseudonym", "As the workspace shows them, for example P-7K3M9Q."),
)


def _key_choices(selected: str) -> list[dict[str, object]]:
    return [{"value": kind.value, "text": text, "hint": {"text": hint}, "checked": kind.value == selected}
            for kind, text, hint in KEY_CHOICES]


def _requests_page(errors: dict[str, str] | None = None, kind: str = "", status: int = 200,
                   ) -> tuple[str, int]:
    runtime = current_runtime()
    now = runtime.intake.clock()
    with runtime.sessions() as db:
        waiting = pending_requests(db)
    rows = [{"request": r, "asked": show_moment(r.requested_at),
             "due": show_moment(r.requested_at + RESPONSE_DEADLINE),
             "overdue": now > r.requested_at + RESPONSE_DEADLINE} for r in waiting]
    return render_template("staff/privacy.html", title="Privacy requests", rows=rows,
                           errors=errors or {}, choices=_key_choices(kind)), status


@blueprint.get("/privacy")
@requires(Action.HANDLE_ERASURE)
def privacy() -> tuple[str, int]:
    return _requests_page()


def _posted_key() -> PersonKey | dict[str, str]:
    kind, value = request.form.get("kind", ""), request.form.get("value", "")
    if kind not in {k.value for k in KeyKind}:
        return {"kind": "Choose how to find the person"}
    if not value.strip():
        return {"value": "Enter what they gave you"}
    try:
        return parse_key(kind, value)
    except BadPersonKey as exc:
        return {"value": str(exc)}


def _found() -> tuple[PersonKey, Person]:
    """The person the posted form names; otherwise the requests page again, saying why."""
    key = _posted_key()
    if isinstance(key, dict):
        abort(make_response(_requests_page(key, request.form.get("kind", ""), 400)))
    with current_runtime().sessions() as db:
        try:
            return key, find_person(db, current_runtime().intake.vault, key)
        except PersonNotFound as exc:
            abort(make_response(_requests_page({"value": str(exc)}, key.kind, 404)))


def _audit(action: str, person: Person, key: PersonKey, now: datetime) -> None:
    entity_type, entity_id = audit_subject(person, key)
    with current_runtime().sessions.begin() as db:
        db.add(AuditEvent(occurred_at=now, actor=principal().actor, action=action,
                          entity_type=entity_type, entity_id=entity_id,
                          details={"found_by": key.described()}))


def _person_page(key: PersonKey, person: Person, reason: str = "",
                 errors: dict[str, str] | None = None) -> str:
    """What is held, in counts (the detail is in the subject access file), and the actions."""
    with current_runtime().sessions() as db:
        records = records_of(db, person)
        summary = {
            "pseudonym": person.pseudonym,
            "channels": sorted({a.channel for a in records.addresses}),
            "references": [f.reference for f in records.feedback],
            "erased": [f.reference for f in records.feedback if f.erased_at],
            "consents": len(records.consents), "needs": len(records.needs),
            "messages_received": len(records.inbound), "messages_sent": len(records.outbound),
            "conversations": len(records.conversations),
        }
    return render_template("staff/privacy_person.html", title="What is held about this person",
                           key=key, summary=summary, errors=errors or {}, reason=reason)


@blueprint.post("/privacy/person")
@requires(Action.HANDLE_ERASURE)
def privacy_person() -> str:
    key, person = _found()
    _audit("privacy.person-viewed", person, key, current_runtime().intake.clock())
    return _person_page(key, person)


@blueprint.post("/privacy/person/access")
@requires(Action.HANDLE_ERASURE)
def privacy_access() -> Response:
    key, person = _found()
    runtime = current_runtime()
    now = runtime.intake.clock()
    with runtime.sessions() as db:
        document = subject_access(db, runtime.intake.vault, person, key, now)
    _audit("subject-access.exported", person, key, now)
    name = f"subject-access-{person.pseudonym or key.value}-{now:%Y%m%d}.json"
    response = Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/privacy/person/erase")
@requires(Action.HANDLE_ERASURE)
def privacy_erase() -> tuple[str, int] | str:
    key, person = _found()
    reason = request.form.get("reason", "").strip()
    if request.form.get("confirm") != "yes":
        return _person_page(key, person, reason, {
            "confirm": "Confirm that you understand erasure cannot be undone"}), 400
    runtime = current_runtime()
    with runtime.sessions.begin() as db:
        report = erase_person(db, person, key, actor=principal().actor,
                              now=runtime.intake.clock(), reason=reason)
    return render_template("staff/privacy_erased.html", title="Erased", key=key, report=report)
