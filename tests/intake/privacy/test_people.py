"""Finding a person from what they can tell us: each kind of key checked and normalised, then
looked up against what the channels stored (keyed hashes, never addresses in clear)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.config import Config
from intake.message import IncomingMessage
from intake.privacy.people import (
    BadPersonKey,
    KeyKind,
    Person,
    PersonKey,
    PersonNotFound,
    find_person,
    parse_key,
)
from intake.storage.models import Contributor, Feedback
from tests.intake.privacy.people_fixtures import (
    BACKENDS,
    anonymous_feedback,
    shared_runtime,
    web_form_person,
)


def ingest(runtime: Runtime, text: str, *, channel: str, sender: str | None, pid: str) -> str:
    result = runtime.intake.ingest(IncomingMessage(channel=channel, provider_message_id=pid,
                                                   text=text, sender=sender))
    assert result.reference is not None, result.error
    return result.reference


def find(runtime: Runtime, kind: str, value: str) -> Person:
    with runtime.sessions() as session:
        return find_person(session, runtime.intake.vault, parse_key(kind, value))


def feedback_ids(runtime: Runtime, *references: str) -> tuple[int, ...]:
    with runtime.sessions() as session:
        return tuple(sorted(session.scalars(select(Feedback.id).where(
            Feedback.reference.in_(references)))))


def pseudonym_of(runtime: Runtime, reference: str) -> str:
    with runtime.sessions() as session:
        pseudonym = session.scalar(select(Contributor.pseudonym).join(
            Feedback, Feedback.contributor_id == Contributor.id).where(Feedback.reference == reference))
        assert pseudonym is not None
        return pseudonym


# -- parsing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "07700 900123", "07700900123", "+44 7700 900123", "447700900123", "0044 7700 900123",
    " +44 (0) 7700 900123 ",
])
def test_phone_numbers_are_normalised_to_e164(typed: str) -> None:
    assert parse_key("phone", typed) == PersonKey(KeyKind.PHONE, "+447700900123")


@pytest.mark.parametrize("kind, typed, expected", [
    ("telegram", " 5000123 ", "5000123"),
    ("telegram", "0005000123", "5000123"),
    ("reference", "fb 7k3m9q", "FB-7K3M9Q"),
    ("reference", "fb7k3m9q", "FB-7K3M9Q"),
    ("reference", " FB-7K3M9Q ", "FB-7K3M9Q"),
    ("pseudonym", "p-7k3m9q", "P-7K3M9Q"),
    ("email", "  Ada.Quill@Example.org ", "Ada.Quill@Example.org"),
])
def test_other_keys_are_normalised(kind: str, typed: str, expected: str) -> None:
    assert parse_key(kind, typed) == PersonKey(KeyKind(kind), expected)


@pytest.mark.parametrize("kind, typed, message", [
    ("name", "Ada", "'name': use phone, telegram, email, reference or pseudonym."),
    ("phone", "ada at home", "'ada at home' is not a phone number."),
    ("phone", "", "'' is not a phone number."),
    ("telegram", "@adaq", "'@adaq' is not a Telegram user id"),
    ("email", "ada.example.org", "'ada.example.org' is not an email address."),
    ("reference", "FB-12", "'FB-12' is not a feedback reference such as FB-7K3M9Q."),
    ("reference", "FB-7K3M9O", "is not a feedback reference"),  # O is not in the alphabet
    ("pseudonym", "P7K3M9Q", "'P7K3M9Q' is not a pseudonym such as P-7K3M9Q."),
    ("pseudonym", "FB-7K3M9Q", "is not a pseudonym"),
])
def test_what_cannot_be_a_key_is_refused_with_a_clear_message(kind: str, typed: str,
                                                               message: str) -> None:
    with pytest.raises(BadPersonKey) as refused:
        parse_key(kind, typed)
    assert message in str(refused.value)


def test_a_number_too_short_to_be_a_phone_number_is_refused() -> None:
    with pytest.raises(BadPersonKey):
        parse_key("phone", "123")


@pytest.mark.parametrize("kind, value", [
    ("phone", "+447700900123"), ("telegram", "5000123"), ("email", "ada.quill@example.org")])
def test_described_masks_the_address(kind: str, value: str) -> None:
    described = parse_key(kind, value).described()
    assert described.startswith(kind) and described.endswith(value[-3:])
    assert value not in described
    assert "7700900" not in described and "ada.quill" not in described


def test_described_shows_references_and_pseudonyms_whole() -> None:
    assert parse_key("reference", "fb 7k3m9q").described() == "reference FB-7K3M9Q"
    assert parse_key("pseudonym", "p-7k3m9q").described() == "pseudonym P-7K3M9Q"


# -- finding ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class People:
    """Everyone the finding tests look for, stored once per database (the tests only read)."""

    runtime: Runtime
    texted: tuple[str, str]     # two items from +447700900123
    neighbour: str              # from +447700900124
    telegram: str               # from Telegram user 5000123
    emailed: str                # web form, follow-ups to ada.quill@example.org
    emailed_capitals: str       # web form, follow-ups to Cy.Marsh@Example.org (as typed)
    form_mobile: str            # web form, follow-ups by SMS to +447700900125
    anonymous: tuple[str, str]  # web form, no contact details


@pytest.fixture(scope="module", params=BACKENDS)
def people(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           config: Config) -> Iterator[People]:
    with shared_runtime(request.param, tmp_path_factory.mktemp("people"), config) as runtime:
        yield People(
            runtime,
            texted=(ingest(runtime, "My GP surgery never answers", channel="sms",
                           sender="+447700900123", pid="p1"),
                    ingest(runtime, "The pharmacy was out of stock", channel="sms",
                           sender="+447700900123", pid="p2")),
            neighbour=ingest(runtime, "Someone else entirely", channel="sms",
                             sender="+447700900124", pid="p3"),
            telegram=ingest(runtime, "The dentist was kind", channel="telegram",
                            sender="5000123", pid="t1"),
            emailed=web_form_person(runtime, "The clinic letter came late",
                                    "ada.quill@example.org", "email", "form-1"),
            emailed_capitals=web_form_person(runtime, "The ward was cold at night",
                                             "Cy.Marsh@Example.org", "email", "form-2"),
            form_mobile=web_form_person(runtime, "Maternity ward was noisy", "+447700900125",
                                        "sms", "form-3"),
            anonymous=(anonymous_feedback(runtime, "No name given here", "anon-1"),
                       anonymous_feedback(runtime, "Another anonymous comment", "anon-2")))


def assert_found(people: People, kind: str, typed: str, *references: str) -> None:
    runtime = people.runtime
    person = find(runtime, kind, typed)
    assert person.pseudonym == pseudonym_of(runtime, references[0])
    assert person.contributor_id is not None
    assert person.feedback_ids == feedback_ids(runtime, *references)


@pytest.mark.parametrize("typed", ["07700 900123", "+44 7700 900123", "447700900123"])
def test_a_texter_is_found_by_their_number_in_any_format_with_all_their_feedback(
        people: People, typed: str) -> None:
    assert_found(people, "phone", typed, *people.texted)


def test_a_telegram_user_is_found_by_their_user_id_and_not_as_a_phone_number(
        people: People) -> None:
    assert_found(people, "telegram", "5000123", people.telegram)
    with pytest.raises(PersonNotFound):
        find(people.runtime, "phone", "5000123")


@pytest.mark.parametrize("typed", ["ada.quill@example.org", "Ada.Quill@Example.ORG"])
def test_a_web_form_contributor_is_found_by_the_email_they_gave_in_any_case(
        people: People, typed: str) -> None:
    assert_found(people, "email", typed, people.emailed)


def test_an_email_typed_with_capitals_on_the_form_is_found_in_lower_case(people: People) -> None:
    assert_found(people, "email", "cy.marsh@example.org", people.emailed_capitals)


def test_a_web_form_contributor_who_gave_a_mobile_is_found_by_that_number(people: People) -> None:
    assert_found(people, "phone", "07700 900125", people.form_mobile)


def test_a_reference_leads_to_everyone_behind_it_and_so_does_a_pseudonym(people: People) -> None:
    first, second = people.texted
    by_reference = find(people.runtime, "reference", second.lower().replace("-", " "))
    by_pseudonym = find(people.runtime, "pseudonym", pseudonym_of(people.runtime, first).lower())
    assert by_reference == by_pseudonym
    assert by_reference.feedback_ids == feedback_ids(people.runtime, first, second)


def test_an_anonymous_item_is_found_alone_by_its_reference(people: People) -> None:
    reference = people.anonymous[0]
    assert find(people.runtime, "reference", reference) == Person(
        None, None, feedback_ids(people.runtime, reference))


@pytest.mark.parametrize("kind, value, message", [
    ("phone", "07700 900999", "Nothing is held for the phone ending 999."),
    ("telegram", "5000999", "Nothing is held for the telegram ending 999."),
    ("email", "nobody@example.org", "Nothing is held for the email ending org."),
    ("reference", "FB-7K3M9Q", "No feedback has the reference FB-7K3M9Q."),
    ("pseudonym", "P-7K3M9Q", "No one has the pseudonym P-7K3M9Q (already erased?)."),
])
def test_nobody_found_says_what_was_searched_without_the_address(
        people: People, kind: str, value: str, message: str) -> None:
    with pytest.raises(PersonNotFound) as missing:
        find(people.runtime, kind, value)
    assert str(missing.value) == message
    assert "900999" not in message and "nobody@" not in message
