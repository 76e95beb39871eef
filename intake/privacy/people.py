"""Finding everything held about one person from what they can tell us: their phone number,
their Telegram user id, their email address, or a feedback reference they were given.

Addresses are stored only as keyed hashes (and encrypted), so a person is found by hashing what
they give, exactly as the channel stored it (E.164 for phone numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.contributors import normalise_address
from intake.privacy.vault import ContactVault
from intake.references import ALPHABET, LENGTH, PSEUDONYM_PREFIX, normalise_reference
from intake.storage.models import ContactAddress, Contributor, Feedback


class KeyKind(StrEnum):
    PHONE = "phone"
    TELEGRAM = "telegram"
    EMAIL = "email"
    REFERENCE = "reference"
    PSEUDONYM = "pseudonym"  # as the workspace shows a person (an erasure request, say)


# The channel each kind of address was stored under.
ADDRESS_CHANNELS = {KeyKind.PHONE: "sms", KeyKind.TELEGRAM: "telegram", KeyKind.EMAIL: "email"}


class PersonNotFound(LookupError):
    """Nothing is held under what was given; the message says what was searched."""


class BadPersonKey(ValueError):
    """What was given cannot be a phone number, Telegram id, email or reference."""


@dataclass(frozen=True)
class PersonKey:
    kind: KeyKind
    value: str

    def described(self) -> str:
        """For messages and the audit log: the kind and a masked value, never the whole address."""
        if self.kind in (KeyKind.REFERENCE, KeyKind.PSEUDONYM):
            return f"{self.kind} {self.value}"
        return f"{self.kind} ending {self.value[-3:]}"


@dataclass(frozen=True)
class Person:
    """Who a key leads to: a contributor (all their feedback), or, for a reference given
    without contact details, just that one anonymous item."""

    contributor_id: int | None
    pseudonym: str | None
    feedback_ids: tuple[int, ...]


def audit_subject(person: Person, key: PersonKey) -> tuple[str, str]:
    """How the audit log names the person a privacy action was about (entity type, id): their
    pseudonym, or, for feedback given without contact details, the item's reference (the only
    key that finds it)."""
    return ("contributor", person.pseudonym) if person.pseudonym else ("feedback", key.value)


def parse_key(kind: str, value: str) -> PersonKey:
    """Check and normalise what was typed, with a clear error for what cannot be right."""
    try:
        key_kind = KeyKind(kind)
    except ValueError:
        raise BadPersonKey(f"{kind!r}: use phone, telegram, email, reference or pseudonym.") from None
    text = value.strip()
    if key_kind == KeyKind.PHONE:
        try:
            number = phonenumbers.parse(text, "GB")
        except phonenumbers.NumberParseException:
            raise BadPersonKey(f"{value!r} is not a phone number.") from None
        if not phonenumbers.is_possible_number(number):
            raise BadPersonKey(f"{value!r} is not a phone number (too short or too long).")
        return PersonKey(key_kind, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if key_kind == KeyKind.TELEGRAM:
        if not text.lstrip("-").isdecimal():
            raise BadPersonKey(f"{value!r} is not a Telegram user id (a number, as /forget shows).")
        return PersonKey(key_kind, str(int(text)))
    if key_kind == KeyKind.EMAIL:
        if "@" not in text:
            raise BadPersonKey(f"{value!r} is not an email address.")
        return PersonKey(key_kind, text)
    if key_kind == KeyKind.PSEUDONYM:
        pseudonym = text.upper()
        if not re.fullmatch(rf"{PSEUDONYM_PREFIX}-[{ALPHABET}]{{{LENGTH}}}", pseudonym):
            raise BadPersonKey(f"{value!r} is not a pseudonym such as P-7K3M9Q.")
        return PersonKey(key_kind, pseudonym)
    reference = normalise_reference(text)
    if reference is None:
        raise BadPersonKey(f"{value!r} is not a feedback reference such as FB-7K3M9Q.")
    return PersonKey(key_kind, reference)


def find_person(session: Session, vault: ContactVault, key: PersonKey) -> Person:
    if key.kind == KeyKind.PSEUDONYM:
        return person_by_pseudonym(session, key.value)
    if key.kind == KeyKind.REFERENCE:
        feedback = session.scalar(select(Feedback).where(Feedback.reference == key.value))
        if feedback is None:
            raise PersonNotFound(f"No feedback has the reference {key.value}.")
        if feedback.contributor_id is None:
            return Person(None, None, (feedback.id,))
        return person_by_contributor(session, feedback.contributor_id)
    channel = ADDRESS_CHANNELS[key.kind]
    # Email addresses are stored in lower case (older records as typed, so both are tried).
    candidates = {key.value, normalise_address(channel, key.value)}
    address = session.scalar(select(ContactAddress).where(
        ContactAddress.channel == channel,
        ContactAddress.address_hash.in_([vault.lookup_hash(channel, c) for c in candidates])))
    if address is None:
        raise PersonNotFound(f"Nothing is held for the {key.described()}.")
    return person_by_contributor(session, address.contributor_id)


def person_by_contributor(session: Session, contributor_id: int) -> Person:
    contributor = session.get_one(Contributor, contributor_id)
    feedback_ids = tuple(session.scalars(select(Feedback.id).where(
        Feedback.contributor_id == contributor_id).order_by(Feedback.id)))
    return Person(contributor.id, contributor.pseudonym, feedback_ids)


def person_by_pseudonym(session: Session, pseudonym: str) -> Person:
    contributor_id = session.scalar(select(Contributor.id).where(Contributor.pseudonym == pseudonym))
    if contributor_id is None:
        raise PersonNotFound(f"No one has the pseudonym {pseudonym} (already erased?).")
    return person_by_contributor(session, contributor_id)
