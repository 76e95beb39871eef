"""The feedback queue as rows for spreadsheets and BI tools: redacted text, tags and links."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from intake.feedback_query import FeedbackFilters, statement
from intake.storage.models import (
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    TrackerItem,
)
from intake.tag_history import active_tags

CSV_COLUMNS = ("reference", "received_at", "channel", "status", "language", "services", "needs",
               "flags", "fft_rating", "on_behalf_of", "contributor", "tracker_items",
               "consultations", "text")
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def query(filters: FeedbackFilters) -> Select[tuple[Feedback]]:
    return statement(filters).options(selectinload(Feedback.tags), selectinload(Feedback.contributor))


def records(session: Session, filters: FeedbackFilters, batch: int = 500,
            offset: int = 0) -> Iterator[dict[str, Any]]:
    """One dict per feedback item, newest first, read in batches so memory stays flat.
    ``offset`` skips that many items first (the API reads one page: ``batch`` items of it)."""
    while True:
        page = list(session.scalars(query(filters).limit(batch).offset(offset)))
        if not page:
            return
        ids = [item.id for item in page]
        trackers: dict[int, list[dict[str, Any]]] = {}
        for link, title in session.execute(
                select(FeedbackTrackerLink, TrackerItem.title)
                .join(TrackerItem, TrackerItem.id == FeedbackTrackerLink.tracker_item_id)
                .where(FeedbackTrackerLink.feedback_id.in_(ids))):
            trackers.setdefault(link.feedback_id, []).append(
                {"id": link.tracker_item_id, "title": title, "rule": link.rule_id,
                 "linked_by": link.linked_by})
        consultations: dict[int, list[dict[str, Any]]] = {}
        for link, slug in session.execute(
                select(FeedbackConsultationLink, Consultation.slug)
                .join(Consultation, Consultation.id == FeedbackConsultationLink.consultation_id)
                .where(FeedbackConsultationLink.feedback_id.in_(ids))):
            consultations.setdefault(link.feedback_id, []).append(
                {"slug": slug, "rule": link.rule_id, "linked_by": link.linked_by})
        for item in page:
            yield _record(item, trackers.get(item.id, []), consultations.get(item.id, []))
        offset += batch


def _record(item: Feedback, trackers: list[dict[str, Any]],
            consultations: list[dict[str, Any]]) -> dict[str, Any]:
    tags = [{"kind": t.kind, "value": t.value, "code": t.code, "confidence": t.confidence,
             "source": t.source, "tagger": t.tagger_version} for t in active_tags(item)]
    return {
        "reference": item.reference,
        "received_at": item.received_at.isoformat(),
        "channel": item.channel,
        "status": item.status,
        "text": item.redacted_text,
        "fft_rating": item.fft_rating,
        "on_behalf_of": item.on_behalf_of,
        "contributor": item.contributor.pseudonym if item.contributor else None,
        "tags": tags,
        "tracker_items": trackers,
        "consultations": consultations,
    }


def _values(record: dict[str, Any], kind: str) -> str:
    return ";".join(t["value"] for t in record["tags"] if t["kind"] == kind)


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# The same guard for every other CSV the service writes (reports, import errors).
safe_cell = _safe_cell


def to_csv_rows(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text, header first, with formula-looking cells neutralised for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for record in rows:
        flat = {
            **record,
            "language": _values(record, "language"),
            "services": _values(record, "service"),
            "needs": _values(record, "need"),
            "flags": _values(record, "flag"),
            "tracker_items": ";".join(str(t["id"]) for t in record["tracker_items"]),
            "consultations": ";".join(c["slug"] for c in record["consultations"]),
        }
        writer.writerow([_safe_cell(flat[column]) for column in CSV_COLUMNS])
        yield flush()


def to_jsonl_rows(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    for record in rows:
        yield json.dumps(record, ensure_ascii=False) + "\n"
