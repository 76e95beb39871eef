"""The item page's content: redacted unless an admin asks (audited), the whole conversation
decrypted and redacted, every tag with its history, links, notes, and the person's record."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from intake.bootstrap import Runtime
from intake.staff import triage
from intake.staff.item_view import NotAllowed, item_view
from intake.storage.models import AuditEvent, ContactAddress
from tests.conftest import FIXED_NOW
from tests.intake.staff.ingested import (
    add_conversation,
    add_staff,
    add_tracker_item,
    ingest,
    load,
)

PHONE = "07700 900123"


def view(runtime: Runtime, reference: str, role: str = "viewer", original: bool = False,
         actor: str = "staff:someone@example.org"):  # type: ignore[no-untyped-def]
    with runtime.sessions.begin() as session:
        return item_view(session, runtime.config, runtime.intake.vault, load(session, reference),
                         role, original=original, actor=actor, now=FIXED_NOW)


def test_the_text_is_redacted_unless_an_admin_asks_and_asking_is_audited(runtime: Runtime) -> None:
    reference = ingest(runtime, f"Call me on {PHONE} about my GP")
    shown = view(runtime, reference, "reviewer")
    assert PHONE not in shown.text and "[phone number]" in shown.text and not shown.original
    with pytest.raises(NotAllowed):
        view(runtime, reference, "reviewer", original=True)
    with runtime.sessions() as session:
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "feedback.unredacted-viewed")) is None
    original = view(runtime, reference, "admin", original=True, actor="staff:admin@example.org")
    assert PHONE in original.text and original.original
    with runtime.sessions() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "feedback.unredacted-viewed"))
    assert event is not None and (event.actor, event.entity_id) == (
        "staff:admin@example.org", reference)


def test_a_chat_shows_its_whole_conversation_decrypted_and_redacted(runtime: Runtime) -> None:
    reference = ingest(runtime, "The walk-in centre made me wait four hours")
    add_conversation(runtime, reference, [
        ("Hi", ["Hello! What would you like to tell us?"]),
        ("The walk-in centre made me wait four hours", ["Which service was it?"]),
        (f"Urgent care. Ring me on {PHONE}", ["Thank you. Your reference is " + reference]),
    ])
    with runtime.engine.connect() as connection:   # the person's words are stored encrypted
        payloads = connection.execute(text("SELECT payload_encrypted FROM inbound_message")).scalars()
        assert not any("walk-in" in p or "Ring me" in p for p in payloads)
    shown = view(runtime, reference)
    assert shown.conversation is not None and shown.conversation.status == "completed"
    said = [t.said for t in shown.conversation.turns]
    assert said[:2] == ["Hi", "The walk-in centre made me wait four hours"]
    assert said[2] is not None and PHONE not in said[2] and "[phone number]" in said[2]
    assert shown.conversation.turns[1].replies == ("Which service was it?",)
    assert PHONE in str(view(runtime, reference, "admin", original=True).conversation)


def test_every_tag_with_where_it_came_from_and_the_history_of_replaced_ones(
        runtime: Runtime) -> None:
    reference = ingest(runtime, "My GP never gives me large print letters")
    who = add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        triage.set_tags(session, runtime.config, item, "service", ["pharmacy"], who.actor, FIXED_NOW)
    shown = view(runtime, reference)
    need = next(t for t in shown.tags if t.kind == "need")
    assert (need.value, need.label, need.code, need.source, need.automatic) == (
        "large-print", "Large print", "957331000000109", "auto", True)
    assert need.evidence == "large print" and need.tagger and 0 < need.confidence <= 100
    service = shown.tags_of("service")[0]
    assert (service.label, service.source, service.created_by) == ("Pharmacy", "staff", who.actor)
    assert [(t.value, t.source, t.retracted_by) for t in shown.history] == [("gp", "auto", who.actor)]
    assert shown.automatic_tags == len([t for t in shown.tags if t.source == "auto"]) >= 2


def test_links_notes_status_history_and_pinning(runtime: Runtime) -> None:
    reference = ingest(runtime, "I want to end my life, my GP will not listen")
    who, tracker = add_staff(runtime), add_tracker_item(runtime)
    assert view(runtime, reference).pinned
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        triage.link_tracker(session, item, tracker, who.actor, FIXED_NOW)
        triage.add_note(session, item, "Passed to the safeguarding lead.", who.user_id, who.actor,
                        FIXED_NOW)
        triage.set_status(session, item, "closed", who.actor, FIXED_NOW)
    shown = view(runtime, reference)
    assert [(link.target, link.title, link.made_by) for link in shown.links] == [
        ("tracker", "Phone access at GP surgeries", who.actor)]
    assert [(n.author, n.text) for n in shown.notes] == [("Core reviewer",
                                                           "Passed to the safeguarding lead.")]
    assert [(c.old, c.new, c.changed_by) for c in shown.status_history] == [
        ("New", "Closed", who.actor)]
    assert [f.value for f in shown.flags] == ["suicide-self-harm"]
    assert not shown.pinned    # closed: no longer pinned, still flagged


def test_the_person_is_shown_by_pseudonym_with_consents_needs_and_opt_outs(
        runtime: Runtime) -> None:
    reference = ingest(runtime, "My GP was fine", sender="+447700900777", follow_up=True,
                       needs=("bsl-interpreter",), language="ur")
    ingest(runtime, "Another message", sender="+447700900777")
    with runtime.sessions.begin() as session:
        session.scalars(select(ContactAddress)).one().opted_out_at = FIXED_NOW
    person = view(runtime, reference).contributor
    assert person is not None and person.pseudonym.startswith("P-")
    assert person.preferred_language == "Urdu" and person.other_items == 1
    assert [(c.purpose, c.granted, c.wording_version) for c in person.consents] == [
        ("follow-up", True, "v1")]
    assert [(n.value, n.label, n.code) for n in person.needs] == [
        ("bsl-interpreter", "British Sign Language (BSL) interpreter", "204331000000107")]
    assert person.opted_out and person.addresses[0].channel == "sms"
    assert "+447700900777" not in repr(person)
    assert view(runtime, ingest(runtime, "No contact details")).contributor is None
