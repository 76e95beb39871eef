"""`intake keys generate` and `intake keys rotate`: what is re-encrypted, what is skipped, and that
a rotation that cannot read something changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from intake.cli import main
from intake.privacy.vault import ContactVault, VaultError
from intake.storage.models import ContactAddress, InboundMessage
from tests.conftest import TEST_HASH_KEY, database
from tests.intake.cli.test_commands import run

SENDER = "+447700900123"
OTHER_SENDER = "+447700900456"


def stored(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every encrypted address and payload, in id order."""
    with database(env) as session:
        addresses = list(session.scalars(select(ContactAddress.address_encrypted)
                                         .order_by(ContactAddress.id)))
        payloads = list(session.scalars(select(InboundMessage.payload_encrypted)
                                        .order_by(InboundMessage.id)))
    return addresses, payloads


def vault(*keys: str) -> ContactVault:
    return ContactVault(list(keys), TEST_HASH_KEY)


def test_generate_prints_a_new_fernet_key_each_time_without_a_database(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}"}
    first, second = (CliRunner().invoke(main, ["keys", "generate"], env=env) for _ in range(2))
    assert first.exit_code == second.exit_code == 0
    assert first.output.count("\n") == second.output.count("\n") == 1  # the key alone
    keys = [first.output.strip(), second.output.strip()]
    assert keys[0] != keys[1]
    for key in keys:
        Fernet(key.encode())  # raises unless 32 url-safe base64 bytes
    assert not (tmp_path / "never.sqlite3").exists()


def test_rotate_with_nothing_stored_re_encrypts_nothing(env: dict[str, str]) -> None:
    assert run(env, "keys", "rotate").output == "Re-encrypted 0 value(s) under the newest key.\n"


def test_rotate_puts_every_address_and_payload_under_the_newest_key(env: dict[str, str]) -> None:
    old_key = env["INTAKE_ENCRYPTION_KEYS"]
    run(env, "submit", "--channel", "sms", "--text", "My GP was kind", "--sender", SENDER)
    run(env, "submit", "--channel", "sms", "--text", "The pharmacy was shut", "--sender", OTHER_SENDER)
    run(env, "submit", "--channel", "cli", "--text", "No address with this one")
    before_addresses, before_payloads = stored(env)
    new_key = Fernet.generate_key().decode()

    result = run({**env, "INTAKE_ENCRYPTION_KEYS": f"{new_key},{old_key}"}, "keys", "rotate")

    assert result.output == "Re-encrypted 5 value(s) under the newest key.\n"  # 2 addresses, 3 payloads
    addresses, payloads = stored(env)
    assert [vault(new_key).decrypt(a) for a in addresses] == [SENDER, OTHER_SENDER]
    assert [vault(new_key).decrypt(p) for p in payloads] == \
        [vault(old_key).decrypt(p) for p in before_payloads]
    assert set(addresses).isdisjoint(before_addresses)
    for value in (*addresses, *payloads):
        with pytest.raises(VaultError):
            vault(old_key).decrypt(value)


def test_payloads_already_removed_are_left_empty_and_not_counted(env: dict[str, str]) -> None:
    old_key = env["INTAKE_ENCRYPTION_KEYS"]
    run(env, "submit", "--channel", "sms", "--text", "My GP was kind", "--sender", SENDER)
    run(env, "submit", "--channel", "cli", "--text", "The dentist was kind")
    with database(env) as session, session.begin():
        first = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).first()
        assert first is not None
        first.payload_encrypted = ""  # as retention or erasure leaves it
    new_key = Fernet.generate_key().decode()

    result = run({**env, "INTAKE_ENCRYPTION_KEYS": f"{new_key},{old_key}"}, "keys", "rotate")

    assert result.output == "Re-encrypted 2 value(s) under the newest key.\n"  # 1 address, 1 payload
    addresses, payloads = stored(env)
    assert payloads[0] == ""
    assert vault(new_key).decrypt(addresses[0]) == SENDER
    assert "dentist" in vault(new_key).decrypt(payloads[1])


def test_a_rotation_that_cannot_read_a_value_changes_nothing(env: dict[str, str]) -> None:
    run(env, "submit", "--channel", "sms", "--text", "My GP was kind", "--sender", SENDER)
    before = stored(env)
    unrelated = Fernet.generate_key().decode()  # the old key left out by mistake

    result = CliRunner().invoke(main, ["keys", "rotate"],
                                env={**env, "INTAKE_ENCRYPTION_KEYS": unrelated})

    assert result.exit_code == 1
    assert isinstance(result.exception, VaultError)
    assert "Re-encrypted" not in result.output
    assert stored(env) == before  # one transaction: nothing half-rotated


def test_a_key_that_is_not_a_fernet_key_is_a_clear_error(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["keys", "rotate"],
                                env={**env, "INTAKE_ENCRYPTION_KEYS": "not-a-key"})
    assert result.exit_code == 1
    assert result.output.startswith("Error: INTAKE_ENCRYPTION_KEYS must be Fernet keys")
