"""A subject access request: everything held about the person, decrypted, as JSON they can be
given; staff named only by role; nothing of anyone else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from intake.config import Config
from intake.pipeline.stages.needs import need_code
from intake.privacy.people import find_person, parse_key
from intake.privacy.subject_access import subject_access
from intake.storage.models import StaffUser, TrackerItem
from tests.conftest import FIXED_NOW
from tests.intake.privacy.people_fixtures import (
    ANONYMOUS_TEXT,
    BACKENDS,
    World,
    people_world,
)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          config: Config) -> Iterator[World]:
    yield from people_world(request.param, tmp_path_factory.mktemp("access"), config)


def document(world: World, kind: str = "phone", value: str | None = None) -> dict[str, Any]:
    with world.runtime.sessions() as session:
        key = parse_key(kind, value or world.ada.someone.national)
        person = find_person(session, world.runtime.intake.vault, key)
        return subject_access(session, world.runtime.intake.vault, person, key, FIXED_NOW)


@pytest.fixture
def ada(world: World) -> dict[str, Any]:
    return document(world)


def test_it_is_json_that_round_trips(ada: dict[str, Any]) -> None:
    assert json.loads(json.dumps(ada)) == ada
    assert ada["format_version"] == 1 and ada["generated_at"] == FIXED_NOW.isoformat()
    assert ada["found_by"] == "phone ending 123"


def test_the_person_their_address_consents_and_needs(world: World, ada: dict[str, Any],
                                                     config: Config) -> None:
    assert ada["person"]["pseudonym"] == world.ada.pseudonym
    [address] = ada["contact_addresses"]
    assert (address["channel"], address["address"]) == ("sms", "+447700900123")
    [consent] = ada["consents"]
    assert (consent["purpose"], consent["granted"], consent["wording_version"]) == (
        "follow-up", True, "2026-11-en-1")
    needs = {n["need"]: n["snomed_ct"] for n in ada["communication_needs"]}
    assert needs == {"interpreter": need_code(config, "interpreter"),
                     "easy-read": need_code(config, "easy-read")}
    assert all(needs.values())


def test_the_feedback_with_its_text_tags_notes_status_history_and_links(
        world: World, ada: dict[str, Any]) -> None:
    [item] = ada["feedback"]
    assert item["reference"] == world.ada.reference
    assert item["text"] == world.ada.someone.complaint
    assert item["status"] == "in-review"
    assert {(t["kind"], t["value"]) for t in item["tags"] if t["removed_at"] is None} >= {
        ("service", "gp"), ("service", "pharmacy"), ("need", "interpreter")}
    assert [n["text"] for n in item["staff_notes"]] == [
        f"Rang {world.ada.someone.name} back on {world.ada.someone.national}"]
    assert [(c["from"], c["to"]) for c in item["status_history"]] == [("new", "in-review")]
    with world.runtime.sessions() as session:
        titles = list(session.scalars(select(TrackerItem.title)))
    assert item["linked_to_tracker_items"] == titles
    assert item["erased_at"] is None


def test_messages_as_received_conversations_and_messages_sent(world: World,
                                                             ada: dict[str, Any]) -> None:
    someone = world.ada.someone
    received = ada["messages_received"]
    texts = [m["as_received"]["text"] for m in received]
    assert {someone.complaint, someone.second_thought, someone.lost, "1 3"} <= set(texts)
    assert {m["as_received"]["sender"] for m in received} == {someone.phone}
    assert sorted(c["status"] for c in ada["conversations"]) == ["completed", "open"]
    answers = [c["answers"] for c in ada["conversations"]]
    assert any(someone.second_thought in json.dumps(a) for a in answers)
    assert len(ada["replies_in_conversations"]) == 6
    assert {(m["text"], m["status"]) for m in ada["messages_sent"]} == {
        (f"Dear {someone.name}, the practice will call you.", "queued"),
        (f"Dear {someone.name}, thank you for telling us.", "sent")}


def test_history_names_staff_only_by_role(world: World, ada: dict[str, Any]) -> None:
    by = {(h["action"], h["by"]) for h in ada["history"]}
    assert ("feedback.status-changed", "a member of staff") in by
    assert ("feedback.note-added", "a member of staff") in by
    assert ("feedback.created", "the system") in by
    with world.runtime.sessions() as session:
        emails = list(session.scalars(select(StaffUser.email)))
    text = json.dumps(ada)
    assert emails and not any(email in text for email in emails)
    assert "staff:" not in text and "example.org" not in text


def test_nothing_of_another_person_is_included(world: World, ada: dict[str, Any]) -> None:
    text = json.dumps(ada, ensure_ascii=False)
    bert = world.bert
    for needle in [*bert.someone.needles(), bert.pseudonym, bert.reference]:
        assert needle not in text
    assert world.anonymous not in text
    # ... and Bert's own document has his, found the same way.
    theirs = json.dumps(document(world, "pseudonym", bert.pseudonym), ensure_ascii=False)
    assert bert.someone.complaint in theirs and world.ada.someone.complaint not in theirs


def test_an_anonymous_item_alone_by_its_reference(world: World) -> None:
    found = document(world, "reference", world.anonymous)
    assert found["person"] is None and found["contact_addresses"] == []
    assert [f["reference"] for f in found["feedback"]] == [world.anonymous]
    assert [f["text"] for f in found["feedback"]] == [ANONYMOUS_TEXT]
    assert len(found["messages_received"]) == 1
    assert found["found_by"] == f"reference {world.anonymous}"
