"""`intake create-user`: the three ways a password is chosen, what is stored and audited, and the
refusals (exit code 1 for an account problem, 2 for a usage mistake)."""

from __future__ import annotations

import getpass
import types
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from intake.cli import main, users
from intake.staff.accounts import LoginRefused, authenticate
from intake.storage.models import AuditEvent, StaffUser
from tests.conftest import FIXED_NOW, database, settings_env

EMAIL = "nurse.lead@example.test"
PASSWORD = "a long enough passphrase"


def create(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["create-user", *args], input=stdin, env=env)


def signs_in(env: dict[str, str], email: str, password: str) -> bool:
    with database(env) as session:
        try:
            authenticate(session, email, password, FIXED_NOW)
        except LoginRefused:
            return False
        return True


def accounts(env: dict[str, str]) -> int:
    with database(env) as session:
        return session.scalar(select(func.count()).select_from(StaffUser)) or 0


class Terminal:
    """Standard input that says it is a terminal (click's prompt reads the runner's input)."""

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        raise AssertionError("a terminal is prompted, not read as a line")


def test_a_password_from_stdin_is_the_accounts_and_need_not_be_changed(env: dict[str, str]) -> None:
    result = create(env, "Nurse.Lead@Example.TEST", "--role", "reviewer", "--name", "Nia Nurse",
                    "--password-stdin", stdin=f"{PASSWORD}\r\nignored second line\n")
    assert result.exit_code == 0, result.output
    assert result.output == f"Created reviewer account {EMAIL}.\n"
    with database(env) as session:
        user = session.scalars(select(StaffUser)).one()
        assert (user.email, user.role, user.display_name, user.must_change_password) == \
            (EMAIL, "reviewer", "Nia Nurse", False)
    assert signs_in(env, EMAIL, PASSWORD)  # the CR LF was not part of it
    assert not signs_in(env, EMAIL, PASSWORD + "\r")


def test_without_a_terminal_a_password_is_generated_shown_once_and_must_be_changed(
        env: dict[str, str]) -> None:
    result = create(env, EMAIL, "--role", "viewer", stdin="")
    assert result.exit_code == 0, result.output
    created, shown = result.output.splitlines()
    assert created == f"Created viewer account {EMAIL}."
    prefix = "Password (shown once; they must change it when they first sign in): "
    assert shown.startswith(prefix)
    password = shown.removeprefix(prefix)
    assert len(password) == 24  # 18 random bytes, url-safe base64
    assert signs_in(env, EMAIL, password)
    with database(env) as session:
        user = session.scalars(select(StaffUser)).one()
        assert user.must_change_password is True
        assert user.display_name == "nurse.lead"  # the address's local part when no --name


def test_at_a_terminal_the_password_is_asked_for_twice(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "sys", types.SimpleNamespace(stdin=Terminal()))
    result = create(env, EMAIL, "--role", "admin",
                    stdin=f"{PASSWORD}\nnot the same one\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "The two entered values do not match." in result.output
    assert PASSWORD not in result.output  # typed hidden, never echoed
    assert "Password (shown once" not in result.output
    assert signs_in(env, EMAIL, PASSWORD)
    with database(env) as session:
        assert session.scalars(select(StaffUser.must_change_password)).one() is False


def test_creating_an_account_is_audited_as_the_operating_system_user(env: dict[str, str]) -> None:
    create(env, EMAIL, "--role", "admin", "--password-stdin", stdin=PASSWORD)
    with database(env) as session:
        event = session.scalars(select(AuditEvent)).one()
        assert (event.actor, event.action, event.entity_type, event.details) == \
            (f"cli:{getpass.getuser()}", "staff.user-created", "staff_user", {"role": "admin"})


@pytest.mark.parametrize(("email", "password", "message"), [
    (EMAIL, "too short", "The password must be at least 12 characters long."),
    (EMAIL, "nurse.lead is my password", "The password must not contain the email address."),
    ("not-an-address", PASSWORD, "'not-an-address' is not an email address."),
])
def test_an_account_that_cannot_be_made_is_refused_with_the_reason(
        env: dict[str, str], email: str, password: str, message: str) -> None:
    result = create(env, email, "--role", "viewer", "--password-stdin", stdin=password)
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
    assert accounts(env) == 0


def test_a_second_account_for_the_same_address_is_refused_and_nothing_is_shown(
        env: dict[str, str]) -> None:
    create(env, EMAIL, "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    result = create(env, EMAIL.upper(), "--role", "admin", stdin="")  # a password would be generated
    assert result.exit_code == 1
    assert result.output == f"Error: There is already an account for {EMAIL}.\n"
    with database(env) as session:
        assert session.scalars(select(StaffUser.role)).all() == ["viewer"]


@pytest.mark.parametrize("args", [[EMAIL], [EMAIL, "--role", "owner"], ["--role", "viewer"]])
def test_a_missing_or_unknown_role_or_address_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    database_file = tmp_path / "never.sqlite3"
    result = create(settings_env(f"sqlite:///{database_file}", tmp_path / "instance"), *args,
                    stdin="")
    assert result.exit_code == 2
    assert not database_file.exists()
