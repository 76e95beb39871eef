"""Staff accounts: creating them, checking passwords (argon2), locking out guessers, API tokens.

argon2-cffi's defaults follow RFC 9106's recommendations and its hashes carry their parameters,
so raising the cost later re-hashes each password at its owner's next login.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.storage.models import AuditEvent, Role, StaffUser

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


class AccountError(ValueError):
    """The request cannot be done; the message says why, in words an admin can act on."""


class LoginRefused(Exception):
    """Login failed. ``reason`` is for the audit log; people see one message for every reason,
    so the form does not tell a guesser which emails exist. The caller must still commit: the
    failure count and the audit event are part of the refusal."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    local_part = normalise_email(email).split("@")[0]
    if len(local_part) >= 4 and local_part in password.lower():
        raise AccountError("The password must not contain the email address.")


def create_user(session: Session, email: str, role: str, password: str, now: datetime,
                display_name: str | None = None, actor: str = "cli") -> StaffUser:
    address = normalise_email(email)
    if not EMAIL.match(address):
        raise AccountError(f"{email!r} is not an email address.")
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountError(f"Unknown role {role!r}; choose viewer, reviewer or admin.") from None
    check_password_strength(password, address)
    if session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == address)):
        raise AccountError(f"There is already an account for {address}.")
    user = StaffUser(email=address, display_name=display_name or address.split("@")[0],
                     role=chosen.value, password_hash=_hasher.hash(password), created_at=now)
    session.add(user)
    session.flush()
    audit(session, actor, "staff.user-created", user, now, {"role": chosen.value})
    return user


def authenticate(session: Session, email: str, password: str, now: datetime) -> StaffUser:
    """The active account with this email and password, or ``LoginRefused``.

    Five wrong passwords in a row lock the account for fifteen minutes (the web app also limits
    attempts per network address), and every attempt is audited.
    """
    address = normalise_email(email)
    user = session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == address))
    if user is None:
        _verify(_DUMMY_HASH, password)
        session.add(AuditEvent(occurred_at=now, actor=f"staff:{address}"[:120],
                               action="staff.login-failed",
                               entity_type="staff_user", entity_id="unknown",
                               details={"reason": "unknown-email"}))
        raise LoginRefused("unknown-email")
    if not user.is_active:
        _verify(_DUMMY_HASH, password)
        audit(session, f"staff:{user.email}", "staff.login-failed", user, now, {"reason": "inactive"})
        raise LoginRefused("inactive")
    if user.locked_until is not None and user.locked_until > now:
        audit(session, f"staff:{user.email}", "staff.login-failed", user, now, {"reason": "locked"})
        raise LoginRefused("locked")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        details: dict[str, object] = {"reason": "wrong-password", "failures": user.failed_logins}
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            details["locked_until"] = user.locked_until.isoformat()
        audit(session, f"staff:{user.email}", "staff.login-failed", user, now, details)
        raise LoginRefused("wrong-password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    audit(session, f"staff:{user.email}", "staff.login", user, now)
    return user


def set_password(session: Session, user: StaffUser, password: str, now: datetime,
                 actor: str, temporary: bool = False) -> None:
    """A new password also ends every session made with the old one. A ``temporary`` one (made
    by an admin or the CLI) must be changed by its owner before they can do anything else."""
    check_password_strength(password, user.email)
    user.password_hash = _hasher.hash(password)
    user.must_change_password = temporary
    user.session_version += 1
    user.failed_logins, user.locked_until = 0, None
    audit(session, actor, "staff.password-changed", user, now)


def issue_api_token(session: Session, user: StaffUser, now: datetime, actor: str) -> str:
    """A new bearer token for the read-only API, shown once; only its hash is kept."""
    token = "ii_" + secrets.token_urlsafe(32)
    user.api_token_hash, user.api_token_created_at = token_hash(token), now
    audit(session, actor, "staff.api-token-issued", user, now)
    return token


def user_for_token(session: Session, token: str) -> StaffUser | None:
    if not token.startswith("ii_"):
        return None
    user = session.scalar(select(StaffUser).where(StaffUser.api_token_hash == token_hash(token)))
    return user if user is not None and user.is_active else None


def token_hash(token: str) -> str:
    # A plain SHA-256 suffices: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode()).hexdigest()


def audit(session: Session, actor: str, action: str, user: StaffUser, now: datetime,
          details: dict[str, object] | None = None) -> None:
    session.add(AuditEvent(occurred_at=now, actor=actor, action=action, entity_type="staff_user",
                           entity_id=str(user.id), details=details or {}))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
