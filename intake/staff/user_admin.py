"""What an admin does to other people's accounts: create them with a temporary password, change a
role, deactivate and reactivate, unlock, reset a password. Every change is audited.

Deactivating, reactivating and resetting a password change the account's ``session_version``, so
every session made before ends at its next request. An admin cannot change their own role or
deactivate themselves, and the last active admin always stays: the workspace never loses its
last way in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.staff.accounts import AccountError, audit, check_password_strength, create_user, set_password
from intake.storage.models import Role, StaffUser


@dataclass(frozen=True)
class UserRow:
    """One account as the users page lists it."""

    id: int
    email: str
    display_name: str
    role: str
    active: bool
    last_login_at: datetime | None
    locked_until: datetime | None


def list_users(session: Session, now: datetime) -> list[UserRow]:
    users = session.scalars(select(StaffUser).order_by(StaffUser.is_active.desc(),
                                                       func.lower(StaffUser.display_name)))
    return [UserRow(u.id, u.email, u.display_name, u.role, u.is_active, u.last_login_at,
                    u.locked_until if u.locked_until is not None and u.locked_until > now else None)
            for u in users]


def temporary_password(email: str) -> str:
    """A random password to hand over once; the person changes it on their account page."""
    while True:
        password = secrets.token_urlsafe(15)      # 20 characters, about 120 bits
        try:
            check_password_strength(password, email)
        except AccountError:
            continue
        return password


def create_with_temporary_password(session: Session, email: str, display_name: str, role: str,
                                   now: datetime, actor: str) -> tuple[StaffUser, str]:
    if not display_name.strip():
        raise AccountError("Enter their name.")
    password = temporary_password(email)
    user = create_user(session, email, role, password, now, display_name=display_name.strip(),
                       actor=actor)
    user.must_change_password = True
    return user, password


def _not_yourself(user: StaffUser, acting_user_id: int, what: str) -> None:
    if user.id == acting_user_id:
        raise AccountError(f"You cannot {what} your own account. Ask another admin to do it.")


def _keeps_an_admin(session: Session, user: StaffUser) -> None:
    if user.role != Role.ADMIN or not user.is_active:
        return
    others = session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == Role.ADMIN, StaffUser.is_active.is_(True), StaffUser.id != user.id))
    if not others:
        raise AccountError(f"{user.email} is the last active admin. Make someone else an admin "
                           "first.")


def change_role(session: Session, user: StaffUser, role: str, now: datetime, actor: str,
                acting_user_id: int) -> None:
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountError("Choose viewer, reviewer or admin.") from None
    if chosen == user.role:
        return
    _not_yourself(user, acting_user_id, "change the role of")
    if chosen != Role.ADMIN:
        _keeps_an_admin(session, user)
    old, user.role = user.role, chosen.value
    audit(session, actor, "staff.role-changed", user, now, {"from": old, "to": chosen.value})


def set_active(session: Session, user: StaffUser, active: bool, now: datetime, actor: str,
               acting_user_id: int) -> None:
    """Deactivate (or reactivate) an account; either way its sessions end."""
    if user.is_active == active:
        return
    _not_yourself(user, acting_user_id, "deactivate" if not active else "reactivate")
    if not active:
        _keeps_an_admin(session, user)
    user.is_active = active
    user.session_version += 1
    audit(session, actor, "staff.user-reactivated" if active else "staff.user-deactivated", user,
          now)


def unlock(session: Session, user: StaffUser, now: datetime, actor: str) -> None:
    """Let someone locked out by wrong passwords try again now."""
    user.locked_until, user.failed_logins = None, 0
    audit(session, actor, "staff.user-unlocked", user, now)


def reset_password(session: Session, user: StaffUser, now: datetime, actor: str,
                   acting_user_id: int) -> str:
    """A new temporary password, to be shown once; the old one and its sessions stop working."""
    if user.id == acting_user_id:
        raise AccountError("Change your own password on your account page.")
    password = temporary_password(user.email)
    set_password(session, user, password, now, actor=actor, temporary=True)
    audit(session, actor, "staff.password-reset", user, now)
    return password
