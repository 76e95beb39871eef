"""The workspace's top navigation: only pages that exist and that the person may open."""

from __future__ import annotations

from flask import current_app, request, url_for

from intake.staff.permissions import Action
from webhooks.staff.auth import principal

# endpoint, label, what you must be allowed to do to see it
PAGES = (
    ("staff.queue", "Feedback queue", Action.READ_QUEUE),
    ("staff.tracker", "Tracker", Action.READ_QUEUE),
    ("staff.consultations", "Consultations", Action.READ_QUEUE),
    ("staff.reports", "Reports", Action.READ_QUEUE),
    ("staff.users", "Users", Action.MANAGE_USERS),
    ("staff.configuration", "Configuration", Action.MANAGE_CONFIGURATION),
    ("staff.privacy", "Privacy", Action.HANDLE_ERASURE),
)


def navigation() -> list[dict[str, object]]:
    """Items in the shape the NHS.UK header macro takes."""
    who = principal()
    items: list[dict[str, object]] = []
    for endpoint, label, action in PAGES:
        if endpoint in current_app.view_functions and who.can(action):
            href = url_for(endpoint)
            items.append({"href": href, "text": label, "current": request.path.startswith(href)})
    return items
