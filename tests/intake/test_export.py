"""The queue export: redacted text, active tags, links, filters, and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from intake.bootstrap import Runtime
from intake.demo import seed_demo
from intake.export import records, to_csv_rows, to_jsonl_rows
from intake.feedback_query import FeedbackFilters
from intake.message import IncomingMessage
from tests.conftest import FIXED_NOW


def ingest(runtime: Runtime, text: str, pid: str, channel: str = "cli", **kw: object) -> str:
    result = runtime.intake.ingest(IncomingMessage(channel, pid, text, **kw))  # type: ignore[arg-type]
    assert result.reference is not None
    return result.reference


def export(runtime: Runtime, **filters: object) -> list[dict]:
    with runtime.sessions() as session:
        return list(records(session, FeedbackFilters(**filters), batch=2))  # type: ignore[arg-type]


def test_records_carry_tags_links_and_only_redacted_text(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    reference = ingest(runtime, "My GP never answers. NHS number 943 476 5919", "a")
    [row] = export(runtime)
    assert row["reference"] == reference
    assert "943 476 5919" not in row["text"] and "[NHS number]" in row["text"]
    assert {(t["kind"], t["value"]) for t in row["tags"]} >= {("service", "gp"), ("language", "en")}
    assert [(t["title"], t["rule"]) for t in row["tracker_items"]] == [
        ("Getting through to GP surgeries by phone", "tracker-by-service")]


def test_filters_and_newest_first_across_batches(runtime: Runtime) -> None:
    day = timedelta(days=1)
    refs = [ingest(runtime, text, f"p{i}", received_at=FIXED_NOW - i * day)
            for i, text in enumerate(["GP was rude", "The pharmacy was shut", "GP was kind",
                                      "Dentist was great", "Mój lekarz rodzinny jest świetny"])]
    assert [r["reference"] for r in export(runtime)] == refs
    assert [r["reference"] for r in export(runtime, service="gp")] == [refs[0], refs[2], refs[4]]
    assert [r["reference"] for r in export(runtime, language="pl")] == [refs[4]]
    assert [r["reference"] for r in export(runtime, since=FIXED_NOW - 1.5 * day)] == refs[:2]
    assert [r["reference"] for r in export(runtime, until=FIXED_NOW - 3.5 * day)] == [refs[4]]
    assert export(runtime, channel="sms") == []
    assert export(runtime, status="closed") == []


def test_csv_has_a_header_and_neutralises_formulas(runtime: Runtime) -> None:
    ingest(runtime, "=HYPERLINK(\"http://x\") my GP", "f")
    with runtime.sessions() as session:
        text = "".join(to_csv_rows(records(session, FeedbackFilters())))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["services"] == "gp"
    assert rows[0]["text"].startswith("'=HYPERLINK")


def test_jsonl_is_one_object_per_line(runtime: Runtime) -> None:
    ingest(runtime, "GP", "1")
    ingest(runtime, "مجھے اردو مترجم چاہیے", "2")
    with runtime.sessions() as session:
        lines = "".join(to_jsonl_rows(records(session, FeedbackFilters()))).splitlines()
    assert len(lines) == 2
    assert "مترجم" in json.loads(lines[0])["text"]
