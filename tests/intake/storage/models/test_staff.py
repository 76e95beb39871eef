"""Staff accounts, their notes on feedback and the history of status changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import Feedback, FeedbackNote, FeedbackStatusChange, Role, StaffUser
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import refused


def staff(email: str = "officer@example.test", role: str = Role.REVIEWER, **fields: object) -> StaffUser:
    return StaffUser(email=email, display_name="Engagement Officer", role=role,
                     password_hash="$argon2id$not-a-real-hash", **fields)


def feedback() -> Feedback:
    return Feedback(reference="FB-7K3M9Q", channel="web", text="The midwife was kind",
                    redacted_text="The midwife was kind", received_at=FIXED_NOW,
                    pipeline_version="test")


def test_a_new_account_is_active_unlocked_and_on_its_first_session_version(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(staff())
    with sessions() as session:
        user = session.scalars(select(StaffUser)).one()
    assert (user.is_active, user.failed_logins, user.session_version, user.must_change_password) == (
        True, 0, 1, False)
    assert (user.last_login_at, user.locked_until, user.api_token_hash,
            user.api_token_created_at) == (None, None, None, None)
    assert user.created_at.tzinfo is not None


def test_an_email_belongs_to_one_account(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(staff())
    with sessions() as session:
        session.add(staff(role=Role.ADMIN))
        refused(session)


def test_api_token_hashes_are_unique_but_many_accounts_may_have_none(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([staff("a@example.test", api_token_hash="f" * 64),
                         staff("b@example.test"), staff("c@example.test")])
    with sessions() as session:
        session.add(staff("d@example.test", api_token_hash="f" * 64))
        refused(session)


def test_every_role_and_a_lock_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([staff(f"{role}@example.test", role, is_active=False,
                               locked_until=FIXED_NOW + timedelta(minutes=15))
                         for role in Role])
    with sessions() as session:
        users = session.scalars(select(StaffUser).order_by(StaffUser.id)).all()
    assert [Role(user.role) for user in users] == list(Role)
    assert {(user.is_active, user.locked_until) for user in users} == {
        (False, FIXED_NOW + timedelta(minutes=15))}


def author_with_a_note(sessions: sessionmaker[Session]) -> tuple[StaffUser, Feedback]:
    """A member of staff who has written one note on one item (both stored)."""
    with sessions.begin() as session:
        author, item = staff(), feedback()
        session.add_all([author, item])
        session.flush()
        session.add(FeedbackNote(feedback_id=item.id, author_id=author.id, text="Called back"))
    return author, item


def test_a_note_loads_its_author_and_needs_real_feedback_and_author(
        sessions: sessionmaker[Session]) -> None:
    author, item = author_with_a_note(sessions)
    with sessions() as session:
        note = session.scalars(select(FeedbackNote)).one()
        assert note.author.email == "officer@example.test"
        assert note.created_at.tzinfo is not None
    for ids in ({"feedback_id": item.id, "author_id": 999_999},
                {"feedback_id": 999_999, "author_id": author.id}):
        with sessions() as session:
            session.add(FeedbackNote(text="Orphan", **ids))
            refused(session)


def test_an_author_with_notes_cannot_be_deleted(sessions: sessionmaker[Session]) -> None:
    author, _ = author_with_a_note(sessions)
    with sessions() as session:
        session.delete(session.get(StaffUser, author.id))
        refused(session)


def test_status_history_reads_back_in_order_of_change(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        item = feedback()
        session.add(item)
        session.flush()
        session.add_all([
            FeedbackStatusChange(feedback_id=item.id, old_status=old, new_status=new,
                                 changed_by="staff:1", changed_at=FIXED_NOW + timedelta(hours=hours))
            for old, new, hours in (("in-review", "actioned", 2), ("new", "in-review", 1))])
    with sessions() as session:
        history = session.execute(select(FeedbackStatusChange.old_status,
                                         FeedbackStatusChange.new_status,
                                         FeedbackStatusChange.changed_at).order_by(
            FeedbackStatusChange.changed_at)).all()
    assert [tuple(row) for row in history] == [
        ("new", "in-review", FIXED_NOW + timedelta(hours=1)),
        ("in-review", "actioned", FIXED_NOW + timedelta(hours=2))]
    with sessions() as session:
        session.add(FeedbackStatusChange(feedback_id=999_999, old_status="new",
                                         new_status="closed", changed_by="staff:1"))
        refused(session)
