"""The feedback queue as rows for spreadsheets and BI tools: redacted text, tags and links."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from intake.storage.models import (
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    Tag,
    TrackerItem,
)
from intake.tag_history import active_tags

CSV_COLUMNS = ("reference", "received_at", "channel", "status", "language", "services", "needs",
               "flags", "fft_rating", "on_behalf_of", "contributor", "tracker_items",
               "consultations", "text")
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFilters:
    reference: str | None = None
    status: str | None = None
    channel: str | None = None
    service: str | None = None
    language: str | None = None
    need: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _has_tag(kind: str, value: str) -> Any:
    return Feedback.tags.any((Tag.kind == kind) & (Tag.value == value) & Tag.retracted_at.is_(None))


def query(filters: ExportFilters) -> Select[tuple[Feedback]]:
    statement = select(Feedback).order_by(Feedback.received_at.desc(), Feedback.id.desc())
    if filters.reference:
        statement = statement.where(Feedback.reference == filters.reference)
    if filters.status:
        statement = statement.where(Feedback.status == filters.status)
    if filters.channel:
        statement = statement.where(Feedback.channel == filters.channel)
    if filters.service:
        statement = statement.where(_has_tag("service", filters.service))
    if filters.language:
        statement = statement.where(_has_tag("language", filters.language))
    if filters.need:
        statement = statement.where(_has_tag("need", filters.need))
    if filters.since:
        statement = statement.where(Feedback.received_at >= filters.since)
    if filters.until:
        statement = statement.where(Feedback.received_at < filters.until)
    return statement.options(selectinload(Feedback.tags), selectinload(Feedback.contributor))


def records(session: Session, filters: ExportFilters, batch: int = 500) -> Iterator[dict[str, Any]]:
    """One dict per feedback item, newest first, read in batches so memory stays flat."""
    offset = 0
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
