"""Staff accounts: creating them (email, role and password checked), signing in with argon2,
the lockout after five wrong passwords, new passwords ending old sessions, API tokens kept only
as hashes, and an audit row for every attempt. Synthetic example.test addresses only.

Most tests share one migrated SQLite database and roll their session back (the behaviour is the
same on every database); those that depend on the database's own look-ups run on each one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from intake.staff import accounts
from intake.staff.accounts import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    MIN_PASSWORD_LENGTH,
    AccountError,
    LoginRefused,
    authenticate,
    check_password_strength,
    create_user,
    issue_api_token,
    normalise_email,
    set_password,
    token_hash,
    user_for_token,
)
from intake.storage.database import make_sessions
from intake.storage.models import AuditEvent, StaffUser
from tests.conftest import FIXED_NOW

PASSWORD = "a long synthetic passphrase"
EMAIL = "sam.jones@example.test"


def make(session: Session, email: str = EMAIL, role: str = "reviewer") -> StaffUser:
    return create_user(session, email, role, PASSWORD, FIXED_NOW)


def events(session: Session) -> list[AuditEvent]:
    session.flush()
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def refused(session: Session, email: str, password: str, minutes: int = 0) -> str:
    with pytest.raises(LoginRefused) as raised:
        authenticate(session, email, password, FIXED_NOW + timedelta(minutes=minutes))
    return raised.value.reason


# -- passwords and addresses --------------------------------------------------------------------

def test_emails_are_compared_trimmed_and_in_lower_case() -> None:
    assert normalise_email("  Sam.Jones@Example.TEST \n") == "sam.jones@example.test"


def test_a_password_needs_twelve_characters() -> None:
    assert MIN_PASSWORD_LENGTH == 12
    check_password_strength("x" * 12)
    with pytest.raises(AccountError, match="at least 12 characters"):
        check_password_strength("x" * 11)


def test_a_password_may_not_contain_the_email_address() -> None:
    with pytest.raises(AccountError, match="must not contain the email"):
        check_password_strength("my name is SAM.JONES ok", "Sam.Jones@example.test")
    check_password_strength("sam.jone is not the whole name", "sam.jones@example.test")


def test_a_short_local_part_is_not_held_against_the_password() -> None:
    check_password_strength("bob was here all along", "bob@example.test")   # fewer than 4 letters
    with pytest.raises(AccountError):
        check_password_strength("robert was here all along", "robert@example.test")


# -- creating accounts --------------------------------------------------------------------------

def test_a_new_account_is_stored_tidied_hashed_and_audited(session: Session) -> None:
    user = create_user(session, "  Sam.Jones@Example.TEST ", "admin", PASSWORD, FIXED_NOW, actor="cli:test")
    assert (user.email, user.display_name, user.role) == (EMAIL, "sam.jones", "admin")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert (user.is_active, user.failed_logins, user.session_version) == (True, 0, 1)
    [event] = events(session)
    assert (event.actor, event.action, event.entity_type, event.entity_id, event.details) == (
        "cli:test", "staff.user-created", "staff_user", str(user.id), {"role": "admin"})


def test_a_display_name_given_is_kept(session: Session) -> None:
    user = create_user(session, EMAIL, "viewer", PASSWORD, FIXED_NOW, display_name="Sam Jones")
    assert user.display_name == "Sam Jones"


@pytest.mark.parametrize(("email", "role", "password", "message"), [
    ("not-an-email", "viewer", PASSWORD, "is not an email address"),
    ("two words@example.test", "viewer", PASSWORD, "is not an email address"),
    ("sam@localhost", "viewer", PASSWORD, "is not an email address"),
    ("", "viewer", PASSWORD, "is not an email address"),
    (EMAIL, "owner", PASSWORD, "Unknown role 'owner'; choose viewer, reviewer or admin"),
    (EMAIL, "Admin", PASSWORD, "Unknown role"),
    (EMAIL, "viewer", "too short", "at least 12 characters"),
    (EMAIL, "viewer", "sam.jones-is-my-password", "must not contain the email"),
])
def test_a_wrong_account_is_refused_and_nothing_is_stored(
        session: Session, email: str, role: str, password: str, message: str) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(session, email, role, password, FIXED_NOW)
    assert session.scalar(select(StaffUser.id)) is None
    assert events(session) == []


def test_one_account_per_address_whatever_its_case(db_session: Session) -> None:
    make(db_session)
    # An address stored before addresses were lower-cased is found too.
    db_session.add(StaffUser(email="Alex.Smith@Example.test", display_name="Alex", role="viewer",
                             password_hash="-", created_at=FIXED_NOW))
    db_session.flush()
    with pytest.raises(AccountError, match=re.escape("already an account for sam.jones@example.test")):
        make(db_session, "SAM.JONES@example.test")
    with pytest.raises(AccountError, match=re.escape("already an account for alex.smith@example.test")):
        make(db_session, "alex.smith@example.test")


# -- signing in ---------------------------------------------------------------------------------

def test_the_right_password_signs_in_and_records_it(db_session: Session) -> None:
    user = make(db_session)
    later = FIXED_NOW + timedelta(hours=1)
    assert authenticate(db_session, " Sam.JONES@example.test", PASSWORD, later) is user
    assert user.last_login_at == later
    assert [(e.action, e.actor) for e in events(db_session)][-1] == ("staff.login", f"staff:{EMAIL}")


def test_an_unknown_address_is_refused_and_audited_without_an_account(session: Session) -> None:
    assert refused(session, "Nobody@Example.test", PASSWORD) == "unknown-email"
    [event] = events(session)
    assert (event.actor, event.action, event.entity_id, event.details) == (
        "staff:nobody@example.test", "staff.login-failed", "unknown", {"reason": "unknown-email"})


def test_a_very_long_unknown_address_still_fits_the_audit_log(session: Session) -> None:
    address = "x" * 300 + "@example.test"
    refused(session, address, PASSWORD)
    [event] = events(session)
    assert len(event.actor) == 120 and event.actor.startswith("staff:xxx")


def test_a_deactivated_account_cannot_sign_in_even_with_its_password(session: Session) -> None:
    user = make(session)
    user.is_active = False
    assert refused(session, EMAIL, PASSWORD) == "inactive"
    assert events(session)[-1].details == {"reason": "inactive"}
    assert user.last_login_at is None


def test_a_wrong_password_is_counted_and_audited(session: Session) -> None:
    user = make(session)
    assert refused(session, EMAIL, "not the passphrase") == "wrong-password"
    assert refused(session, EMAIL, PASSWORD.upper()) == "wrong-password"
    assert user.failed_logins == 2
    assert events(session)[-1].details == {"reason": "wrong-password", "failures": 2}


def test_a_stored_hash_argon2_cannot_read_is_a_wrong_password_not_a_crash(session: Session) -> None:
    user = make(session)
    user.password_hash = "-"
    assert refused(session, EMAIL, PASSWORD) == "wrong-password"


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(session: Session) -> None:
    assert MAX_FAILED_LOGINS == 5
    assert timedelta(minutes=15) == LOCKOUT
    user = make(session)
    for _ in range(MAX_FAILED_LOGINS):
        refused(session, EMAIL, "not the passphrase")
    assert user.locked_until == FIXED_NOW + LOCKOUT
    assert user.failed_logins == 0
    assert events(session)[-1].details == {"reason": "wrong-password", "failures": 5,
                                           "locked_until": (FIXED_NOW + LOCKOUT).isoformat()}
    # Even the right password is refused while locked, and guesses then are not counted.
    assert refused(session, EMAIL, PASSWORD, minutes=14) == "locked"
    assert refused(session, EMAIL, "not the passphrase", minutes=14) == "locked"
    assert user.failed_logins == 0
    assert events(session)[-1].details == {"reason": "locked"}
    # The lock ends exactly fifteen minutes on, and signing in clears it.
    assert authenticate(session, EMAIL, PASSWORD, FIXED_NOW + LOCKOUT) is user
    assert (user.locked_until, user.failed_logins) == (None, 0)


def test_four_wrong_passwords_then_the_right_one_start_the_count_again(session: Session) -> None:
    user = make(session)
    for _ in range(MAX_FAILED_LOGINS - 1):
        refused(session, EMAIL, "not the passphrase")
    authenticate(session, EMAIL, PASSWORD, FIXED_NOW)
    assert user.failed_logins == 0
    for _ in range(MAX_FAILED_LOGINS - 1):
        refused(session, EMAIL, "not the passphrase")
    assert user.locked_until is None


def test_a_lock_is_kept_in_the_database(engine: Engine) -> None:
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        make(session)
    for _ in range(MAX_FAILED_LOGINS):
        with sessions() as session:
            refused(session, EMAIL, "not the passphrase")
            session.commit()       # the caller commits the refusal
    with sessions() as session:
        assert refused(session, EMAIL, PASSWORD, minutes=1) == "locked"
        stored = session.scalars(select(StaffUser)).one()
        assert stored.locked_until == FIXED_NOW + LOCKOUT


def test_a_hash_made_at_an_older_cost_is_renewed_at_the_next_sign_in(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    user = make(session)
    old_hash = user.password_hash
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    authenticate(session, EMAIL, PASSWORD, FIXED_NOW)
    assert user.password_hash != old_hash and "m=16,t=2,p=1" in user.password_hash
    authenticate(session, EMAIL, PASSWORD, FIXED_NOW)     # and the new hash still works


def test_a_hash_at_the_current_cost_is_kept(session: Session) -> None:
    user = make(session)
    old_hash = user.password_hash
    authenticate(session, EMAIL, PASSWORD, FIXED_NOW)
    assert user.password_hash == old_hash


# -- changing a password ------------------------------------------------------------------------

def test_a_new_password_replaces_the_old_and_ends_old_sessions(session: Session) -> None:
    user = make(session)
    user.failed_logins, user.locked_until = 3, FIXED_NOW + LOCKOUT
    set_password(session, user, "another synthetic passphrase", FIXED_NOW, actor=f"staff:{EMAIL}")
    assert user.session_version == 2
    assert (user.failed_logins, user.locked_until, user.must_change_password) == (0, None, False)
    assert refused(session, EMAIL, PASSWORD) == "wrong-password"
    assert authenticate(session, EMAIL, "another synthetic passphrase", FIXED_NOW) is user
    assert ("staff.password-changed", f"staff:{EMAIL}") in [(e.action, e.actor) for e in events(session)]


def test_a_temporary_password_must_be_changed(session: Session) -> None:
    user = make(session)
    set_password(session, user, "temporary synthetic words", FIXED_NOW, actor="cli", temporary=True)
    assert user.must_change_password is True
    set_password(session, user, "my own synthetic words", FIXED_NOW, actor=f"staff:{EMAIL}")
    assert user.must_change_password is False
    assert user.session_version == 3


def test_a_weak_new_password_changes_nothing(session: Session) -> None:
    user = make(session)
    before = user.password_hash
    for weak in ("short", "sam.jones forever and ever"):
        with pytest.raises(AccountError):
            set_password(session, user, weak, FIXED_NOW, actor="cli")
    assert (user.password_hash, user.session_version) == (before, 1)
    assert [e.action for e in events(session)] == ["staff.user-created"]


# -- API tokens ---------------------------------------------------------------------------------

def test_an_api_token_is_shown_once_and_only_its_hash_is_kept(db_session: Session) -> None:
    user = make(db_session)
    token = issue_api_token(db_session, user, FIXED_NOW, actor="cli")
    assert token.startswith("ii_") and len(token) > 40
    assert user.api_token_hash == token_hash(token) != token
    assert user.api_token_created_at == FIXED_NOW
    db_session.flush()
    assert user_for_token(db_session, token) is user
    assert events(db_session)[-1].action == "staff.api-token-issued"


def test_a_new_token_replaces_the_old_one(session: Session) -> None:
    user = make(session)
    first = issue_api_token(session, user, FIXED_NOW, actor="cli")
    second = issue_api_token(session, user, FIXED_NOW, actor="cli")
    session.flush()
    assert first != second
    assert user_for_token(session, first) is None
    assert user_for_token(session, second) is user


def test_tokens_of_deactivated_accounts_and_other_strings_find_nobody(session: Session) -> None:
    user = make(session)
    token = issue_api_token(session, user, FIXED_NOW, actor="cli")
    session.flush()
    assert user_for_token(session, token.removeprefix("ii_")) is None     # no prefix
    assert user_for_token(session, token + "x") is None
    assert user_for_token(session, "ii_") is None
    assert user_for_token(session, user.api_token_hash or "") is None     # the hash is not a token
    user.is_active = False
    session.flush()
    assert user_for_token(session, token) is None


def test_token_hash_is_sha256_hex() -> None:
    assert token_hash("ii_example") == "c378b49c9c277d4471afc2642cb6c5c565837ed11f12b1e16734a5081bcb224b"
