"""Links into the feedback queue, to one item and to other parts of the workspace, made only when
those pages exist, so the tracker and consultation pages work whichever parts are installed."""

from __future__ import annotations

from flask import current_app, url_for


def queue_link(**filters: object) -> str | None:
    """The queue filtered by ``filters`` (the names of ``FeedbackFilters``)."""
    if "staff.queue" not in current_app.view_functions:
        return None
    return url_for("staff.queue", **{k: v for k, v in filters.items() if v not in (None, "")})


def item_link(reference: str) -> str | None:
    return link_if("staff.item", reference=reference)


def link_if(endpoint: str, **values: object) -> str | None:
    """A link to another part of the workspace (campaigns, say), if it is installed."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)
