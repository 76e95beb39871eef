"""Tag history: corrections never overwrite, re-runs never undo what people decided."""

from __future__ import annotations

from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.message import IncomingMessage
from intake.pipeline import TagProposal
from intake.storage.models import AuditEvent, Feedback, Tag
from intake.tag_history import active_tags, apply_pipeline_tags, correct_tag, remove_tag
from tests.conftest import FIXED_NOW


def stored(runtime: Runtime, text: str = "My GP surgery never answers the phone") -> str:
    result = runtime.intake.ingest(IncomingMessage("cli", text[:20], text))
    assert result.reference is not None
    return result.reference


def load(session, reference: str) -> Feedback:  # type: ignore[no-untyped-def]
    item = session.scalar(select(Feedback).where(Feedback.reference == reference))
    assert item is not None
    return item


def replace_service(runtime: Runtime, reference: str, value: str) -> None:
    """Staff member 7 replaces the item's automatic service tag."""
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        old = next(t for t in active_tags(item) if t.kind == "service")
        correct_tag(session, item, kind="service", value=value, staff="7", now=FIXED_NOW,
                    replaces=old)


def test_a_staff_correction_keeps_the_old_tag_as_history(runtime: Runtime) -> None:
    reference = stored(runtime)
    replace_service(runtime, reference, "pharmacy")
    with runtime.sessions() as session:
        item = load(session, reference)
        services = [(t.value, t.source, t.retracted_by) for t in item.tags if t.kind == "service"]
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "tag.corrected"))
    assert services == [("gp", "auto", "staff:7"), ("pharmacy", "staff", None)]
    assert audit is not None and audit.details["replaces"] == "gp" and audit.actor == "staff:7"


def test_reprocessing_does_not_undo_a_staff_correction(runtime: Runtime) -> None:
    reference = stored(runtime)
    replace_service(runtime, reference, "pharmacy")
    runtime.intake.retag()
    with runtime.sessions() as session:
        item = load(session, reference)
        assert {t.value for t in active_tags(item) if t.kind == "service"} == {"pharmacy"}


def test_a_value_staff_removed_is_not_put_back_automatically(runtime: Runtime) -> None:
    reference = stored(runtime, "I don't get large print letters from my GP")
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        wrong = next(t for t in active_tags(item) if t.value == "large-print")
        remove_tag(session, wrong, staff="9", now=FIXED_NOW)
    runtime.intake.retag()
    with runtime.sessions() as session:
        item = load(session, reference)
        assert "large-print" not in {t.value for t in active_tags(item)}
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "tag.removed"))


def test_a_new_tagger_version_supersedes_old_automatic_tags(runtime: Runtime) -> None:
    reference = stored(runtime)
    with runtime.sessions() as session:
        current = {t.kind: t for t in active_tags(load(session, reference))}
    service_now = current["service"].tagger_version
    language_now = current["language"]
    # The service tagger moves on; the language tagger re-proposes what it already said.
    newer = [TagProposal("service", "gp", 0.8, "auto", "service@next"),
             TagProposal("language", language_now.value, language_now.confidence, "auto",
                         language_now.tagger_version)]
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        added, retracted = apply_pipeline_tags(item, newer, FIXED_NOW, reason="reprocess:test")
    assert (added, retracted) == (1, 1)
    with runtime.sessions() as session:
        tags = session.scalars(select(Tag).where(Tag.kind == "service").order_by(Tag.id)).all()
    assert [(t.tagger_version, t.retracted_by) for t in tags] == [
        (service_now, "reprocess:test"), ("service@next", None)]


def test_inference_does_not_add_a_service_once_a_person_chose_one(runtime: Runtime) -> None:
    reference = stored(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        correct_tag(session, item, kind="service", value="dental", staff="1", now=FIXED_NOW)
        apply_pipeline_tags(item, [TagProposal("service", "pharmacy", 0.9, "auto", "service@9")],
                            FIXED_NOW, reason="reprocess:test")
    with runtime.sessions() as session:
        values = {t.value for t in active_tags(load(session, reference)) if t.kind == "service"}
    assert values == {"dental"}
