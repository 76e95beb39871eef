"""What an admin does to other accounts: create one with a temporary password, change a role,
deactivate and reactivate, unlock, reset a password. Never to their own account, never leaving
the workspace without an active admin, every change audited, sessions ended where they must be.

Most tests share one migrated SQLite database and roll their session back; the list and the
last-admin rule, which the database answers, run on each database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.staff import user_admin
from intake.staff.accounts import AccountError, LoginRefused, authenticate, create_user
from intake.staff.user_admin import (
    UserRow,
    change_role,
    create_with_temporary_password,
    list_users,
    reset_password,
    set_active,
    temporary_password,
    unlock,
)
from intake.storage.models import AuditEvent, StaffUser
from tests.conftest import FIXED_NOW

PASSWORD = "a long synthetic passphrase"
ADMIN = "staff:admin@example.test"
NOBODY = 0   # the acting user id of the CLI: no account


def make(session: Session, name: str, role: str = "reviewer") -> StaffUser:
    return create_user(session, f"{name.lower()}@example.test", role, PASSWORD, FIXED_NOW,
                       display_name=name)


def actions(session: Session) -> list[tuple[str, str, str]]:
    session.flush()
    return [(e.action, e.actor, e.entity_id)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action != "staff.user-created")
                                     .order_by(AuditEvent.id))]


# -- the list -----------------------------------------------------------------------------------

def test_the_list_puts_active_accounts_first_then_orders_by_name_case_blind(db_session: Session) -> None:
    for name in ("carol", "Bob", "alice", "Dave"):
        make(db_session, name)
    make(db_session, "Aaron").is_active = False
    db_session.flush()
    rows = list_users(db_session, FIXED_NOW)
    assert [(r.display_name, r.active) for r in rows] == [
        ("alice", True), ("Bob", True), ("carol", True), ("Dave", True), ("Aaron", False)]


def test_the_list_shows_a_lock_only_while_it_lasts(db_session: Session) -> None:
    locked, expired = make(db_session, "Locked"), make(db_session, "Expired")
    locked.locked_until = FIXED_NOW + timedelta(minutes=1)
    expired.locked_until = FIXED_NOW
    locked.last_login_at = FIXED_NOW - timedelta(days=2)
    db_session.flush()
    rows = {r.display_name: r for r in list_users(db_session, FIXED_NOW)}
    assert rows["Locked"] == UserRow(locked.id, "locked@example.test", "Locked", "reviewer", True,
                                     FIXED_NOW - timedelta(days=2), FIXED_NOW + timedelta(minutes=1))
    assert rows["Expired"].locked_until is None
    assert rows["Expired"].last_login_at is None


def test_an_empty_workspace_lists_nobody(session: Session) -> None:
    assert list_users(session, FIXED_NOW) == []


# -- temporary passwords and new accounts --------------------------------------------------------

def test_temporary_passwords_are_long_random_and_strong_enough() -> None:
    passwords = {temporary_password("sam@example.test") for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 20 for p in passwords)


def test_a_temporary_password_containing_the_email_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["xxsamanthaxxxxxxxxxx", "short", "a-good-random-string"])
    monkeypatch.setattr(user_admin.secrets, "token_urlsafe", lambda size: next(drawn))
    assert temporary_password("Samantha@example.test") == "a-good-random-string"


def test_a_new_account_has_a_temporary_password_that_signs_in(session: Session) -> None:
    user, password = create_with_temporary_password(session, "New.Starter@Example.test", "  New Starter ",
                                                    "viewer", FIXED_NOW, ADMIN)
    assert (user.email, user.display_name, user.role) == ("new.starter@example.test", "New Starter",
                                                          "viewer")
    assert user.must_change_password is True
    assert authenticate(session, "new.starter@example.test", password, FIXED_NOW) is user
    [created] = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.user-created"))
    assert (created.actor, created.entity_id) == (ADMIN, str(user.id))


@pytest.mark.parametrize(("email", "name", "role", "message"), [
    ("new@example.test", "   ", "viewer", "Enter their name."),
    ("new@example.test", "", "viewer", "Enter their name."),
    ("not an email", "New", "viewer", "is not an email address"),
    ("new@example.test", "New", "owner", "Unknown role"),
])
def test_a_new_account_with_problems_is_not_made(session: Session, email: str, name: str, role: str,
                                                 message: str) -> None:
    with pytest.raises(AccountError, match=message):
        create_with_temporary_password(session, email, name, role, FIXED_NOW, ADMIN)
    assert session.scalar(select(StaffUser.id)) is None


# -- roles --------------------------------------------------------------------------------------

def test_changing_a_role_is_audited_with_both_roles(session: Session) -> None:
    admin, other = make(session, "Admin", "admin"), make(session, "Other", "viewer")
    change_role(session, other, "reviewer", FIXED_NOW, ADMIN, admin.id)
    assert other.role == "reviewer"
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.role-changed"))
    assert (event.actor, event.entity_id, event.details) == (ADMIN, str(other.id),
                                                            {"from": "viewer", "to": "reviewer"})


def test_the_same_role_again_changes_and_records_nothing(session: Session) -> None:
    admin = make(session, "Admin", "admin")
    change_role(session, admin, "admin", FIXED_NOW, ADMIN, admin.id)   # even their own: no change
    assert actions(session) == []


@pytest.mark.parametrize("role", ["owner", "", "Admin"])
def test_an_unknown_role_is_refused(session: Session, role: str) -> None:
    admin, other = make(session, "Admin", "admin"), make(session, "Other", "viewer")
    with pytest.raises(AccountError, match=re.escape("Choose viewer, reviewer or admin.")):
        change_role(session, other, role, FIXED_NOW, ADMIN, admin.id)
    assert other.role == "viewer"


def test_an_admin_cannot_change_their_own_role(session: Session) -> None:
    admin = make(session, "Admin", "admin")
    make(session, "Second", "admin")
    with pytest.raises(AccountError, match="You cannot change the role of your own account"):
        change_role(session, admin, "viewer", FIXED_NOW, ADMIN, admin.id)
    assert admin.role == "admin" and actions(session) == []


def test_an_admin_may_be_demoted_while_another_stays(db_session: Session) -> None:
    first, second = make(db_session, "First", "admin"), make(db_session, "Second", "admin")
    change_role(db_session, first, "viewer", FIXED_NOW, ADMIN, second.id)
    assert first.role == "viewer"
    with pytest.raises(AccountError, match=re.escape("second@example.test is the last active admin")):
        change_role(db_session, second, "reviewer", FIXED_NOW, ADMIN, first.id)
    assert second.role == "admin"


def test_a_deactivated_admin_does_not_count_as_the_one_that_stays(db_session: Session) -> None:
    only, gone = make(db_session, "Only", "admin"), make(db_session, "Gone", "admin")
    gone.is_active = False
    db_session.flush()
    with pytest.raises(AccountError, match="last active admin"):
        change_role(db_session, only, "viewer", FIXED_NOW, "cli", NOBODY)
    # A deactivated admin may be demoted: it is not a way in.
    change_role(db_session, gone, "viewer", FIXED_NOW, "cli", NOBODY)
    assert gone.role == "viewer"


def test_promoting_to_admin_needs_no_other_admin(session: Session) -> None:
    viewer = make(session, "Viewer", "viewer")
    change_role(session, viewer, "admin", FIXED_NOW, "cli", NOBODY)
    assert viewer.role == "admin"


# -- deactivating and reactivating ---------------------------------------------------------------

def test_deactivating_ends_sessions_and_stops_sign_in(session: Session) -> None:
    admin, other = make(session, "Admin", "admin"), make(session, "Other")
    set_active(session, other, False, FIXED_NOW, ADMIN, admin.id)
    assert (other.is_active, other.session_version) == (False, 2)
    with pytest.raises(LoginRefused):
        authenticate(session, "other@example.test", PASSWORD, FIXED_NOW)
    set_active(session, other, True, FIXED_NOW, ADMIN, admin.id)
    assert (other.is_active, other.session_version) == (True, 3)
    assert authenticate(session, "other@example.test", PASSWORD, FIXED_NOW) is other
    assert [a for a in actions(session) if a[0].startswith("staff.user-")] == [
        ("staff.user-deactivated", ADMIN, str(other.id)), ("staff.user-reactivated", ADMIN, str(other.id))]


def test_setting_the_state_it_already_has_changes_nothing(session: Session) -> None:
    admin = make(session, "Admin", "admin")
    set_active(session, admin, True, FIXED_NOW, ADMIN, admin.id)
    assert (admin.is_active, admin.session_version) == (True, 1)
    assert actions(session) == []


def test_an_admin_cannot_deactivate_themselves(session: Session) -> None:
    admin = make(session, "Admin", "admin")
    make(session, "Second", "admin")
    with pytest.raises(AccountError, match="You cannot deactivate your own account"):
        set_active(session, admin, False, FIXED_NOW, ADMIN, admin.id)
    assert (admin.is_active, admin.session_version) == (True, 1)


def test_the_last_active_admin_cannot_be_deactivated(db_session: Session) -> None:
    only = make(db_session, "Only", "admin")
    make(db_session, "Reviewer", "reviewer")
    with pytest.raises(AccountError, match=re.escape(
            "only@example.test is the last active admin. Make someone else an admin first.")):
        set_active(db_session, only, False, FIXED_NOW, "cli", NOBODY)
    assert only.is_active is True


def test_other_roles_may_be_deactivated_with_a_single_admin(session: Session) -> None:
    admin, reviewer = make(session, "Admin", "admin"), make(session, "Reviewer")
    set_active(session, reviewer, False, FIXED_NOW, ADMIN, admin.id)
    assert reviewer.is_active is False


# -- unlocking and resetting --------------------------------------------------------------------

def test_unlocking_lets_them_try_again_now(session: Session) -> None:
    user = make(session, "Locked")
    for _ in range(5):
        with pytest.raises(LoginRefused):
            authenticate(session, "locked@example.test", "not the passphrase", FIXED_NOW)
    assert user.locked_until is not None
    unlock(session, user, FIXED_NOW, ADMIN)
    assert (user.locked_until, user.failed_logins) == (None, 0)
    assert authenticate(session, "locked@example.test", PASSWORD, FIXED_NOW) is user
    assert ("staff.user-unlocked", ADMIN, str(user.id)) in actions(session)


def test_resetting_a_password_gives_a_temporary_one_and_ends_sessions(session: Session) -> None:
    admin, user = make(session, "Admin", "admin"), make(session, "Other")
    password = reset_password(session, user, FIXED_NOW, ADMIN, admin.id)
    assert password != PASSWORD and len(password) == 20
    assert (user.must_change_password, user.session_version) == (True, 2)
    with pytest.raises(LoginRefused):
        authenticate(session, "other@example.test", PASSWORD, FIXED_NOW)
    assert authenticate(session, "other@example.test", password, FIXED_NOW) is user
    assert [a for a in actions(session) if a[0].startswith("staff.password")] == [
        ("staff.password-changed", ADMIN, str(user.id)), ("staff.password-reset", ADMIN, str(user.id))]


def test_resetting_twice_gives_different_passwords(session: Session) -> None:
    user = make(session, "Other")
    first = reset_password(session, user, FIXED_NOW, "cli", NOBODY)
    second = reset_password(session, user, FIXED_NOW, "cli", NOBODY)
    assert first != second and user.session_version == 3
    with pytest.raises(LoginRefused):
        authenticate(session, "other@example.test", first, FIXED_NOW)


def test_an_admin_changes_their_own_password_on_their_account_page(session: Session) -> None:
    admin = make(session, "Admin", "admin")
    hash_before = admin.password_hash
    with pytest.raises(AccountError, match=re.escape("Change your own password on your account page.")):
        reset_password(session, admin, FIXED_NOW, ADMIN, admin.id)
    assert (admin.password_hash, admin.session_version, admin.must_change_password) == (
        hash_before, 1, False)
    assert actions(session) == []


