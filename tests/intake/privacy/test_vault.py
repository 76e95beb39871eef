"""ContactVault: Fernet encryption at rest, keyed look-up hashes and key rotation."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet, InvalidToken

from intake.privacy.vault import ContactVault, VaultError

HASH_KEY = "synthetic-hash-key-" + "h" * 32
OTHER_HASH_KEY = "another-synthetic-hash-key-" + "k" * 32
PHONE = "+447700900123"  # Ofcom drama range: not a real number


def new_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def vault() -> ContactVault:
    return ContactVault([new_key()], HASH_KEY)


# --- encryption ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    [
        PHONE,
        "mail@example.test",
        "مجھے اردو میں جواب دیں، شکریہ",
        "Dzień dobry, proszę o kontakt — żółć",
        '{"channel": "sms", "text": "the GP was kind"}',
        "",
    ],
)
def test_encrypt_decrypt_round_trip(vault: ContactVault, plaintext: str) -> None:
    token = vault.encrypt(plaintext)

    assert isinstance(token, str)
    assert vault.decrypt(token) == plaintext


@pytest.mark.parametrize("plaintext", [PHONE, "مجھے اردو میں جواب دیں"])
def test_ciphertext_does_not_reveal_the_plaintext(vault: ContactVault, plaintext: str) -> None:
    token = vault.encrypt(plaintext)

    assert plaintext not in token
    assert plaintext.encode() not in token.encode()
    assert "447700900123" not in token


def test_same_plaintext_encrypts_differently_each_time(vault: ContactVault) -> None:
    assert vault.encrypt(PHONE) != vault.encrypt(PHONE)


def test_generated_key_is_a_usable_fernet_key() -> None:
    key = ContactVault.generate_key()

    assert isinstance(key, str)
    Fernet(key.encode())  # raises if malformed
    vault = ContactVault([key], HASH_KEY)
    assert vault.decrypt(vault.encrypt(PHONE)) == PHONE
    assert ContactVault.generate_key() != key


# --- look-up hash --------------------------------------------------------------------------------


def test_lookup_hash_is_stable_for_the_same_input() -> None:
    first = ContactVault([new_key()], HASH_KEY)
    second = ContactVault([new_key()], HASH_KEY)  # a different encryption key does not matter

    assert first.lookup_hash("sms", PHONE) == first.lookup_hash("sms", PHONE)
    assert first.lookup_hash("sms", PHONE) == second.lookup_hash("sms", PHONE)


def test_lookup_hash_is_64_lower_case_hex_characters(vault: ContactVault) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", vault.lookup_hash("sms", PHONE))


def test_lookup_hash_differs_by_channel(vault: ContactVault) -> None:
    assert vault.lookup_hash("sms", PHONE) != vault.lookup_hash("telegram", PHONE)


def test_lookup_hash_differs_by_address(vault: ContactVault) -> None:
    assert vault.lookup_hash("sms", PHONE) != vault.lookup_hash("sms", "+447700900124")


def test_lookup_hash_differs_by_hash_key() -> None:
    key = new_key()

    assert (ContactVault([key], HASH_KEY).lookup_hash("sms", PHONE)
            != ContactVault([key], OTHER_HASH_KEY).lookup_hash("sms", PHONE))


def test_lookup_hash_keeps_channel_and_address_apart(vault: ContactVault) -> None:
    assert vault.lookup_hash("sms", "x123") != vault.lookup_hash("smsx", "123")


def test_lookup_hash_ignores_surrounding_whitespace(vault: ContactVault) -> None:
    assert vault.lookup_hash("sms", f"  {PHONE}\n") == vault.lookup_hash("sms", PHONE)


def test_lookup_hash_does_not_contain_the_address(vault: ContactVault) -> None:
    assert "447700900123" not in vault.lookup_hash("sms", PHONE)


# --- rotation ------------------------------------------------------------------------------------


def test_rotation_moves_tokens_to_the_new_key() -> None:
    old_key, new = new_key(), new_key()
    text = "مجھے اردو میں جواب دیں"
    old_token = ContactVault([old_key], HASH_KEY).encrypt(text)

    both = ContactVault([new, old_key], HASH_KEY)
    assert both.decrypt(old_token) == text

    rotated = both.rotate(old_token)
    assert rotated != old_token

    new_only = ContactVault([new], HASH_KEY)
    assert new_only.decrypt(rotated) == text
    with pytest.raises(VaultError):
        new_only.decrypt(old_token)
    with pytest.raises(VaultError):
        ContactVault([old_key], HASH_KEY).decrypt(rotated)


def test_new_tokens_use_the_first_key() -> None:
    first, second = new_key(), new_key()
    token = ContactVault([first, second], HASH_KEY).encrypt(PHONE)

    assert ContactVault([first], HASH_KEY).decrypt(token) == PHONE
    with pytest.raises(VaultError):
        ContactVault([second], HASH_KEY).decrypt(token)


def test_rotating_a_token_no_configured_key_can_read_raises_vault_error() -> None:
    token = ContactVault([new_key()], HASH_KEY).encrypt(PHONE)

    with pytest.raises(VaultError):
        ContactVault([new_key()], HASH_KEY).rotate(token)


# --- wrong and bad keys ---------------------------------------------------------------------------


def test_decrypting_with_the_wrong_key_raises_a_helpful_vault_error() -> None:
    token = ContactVault([new_key()], HASH_KEY).encrypt(PHONE)

    with pytest.raises(VaultError) as caught:
        ContactVault([new_key()], HASH_KEY).decrypt(token)

    message = str(caught.value)
    assert "INTAKE_ENCRYPTION_KEYS" in message
    assert "intake keys rotate" in message
    assert PHONE not in message
    assert isinstance(caught.value.__cause__, InvalidToken)


@pytest.mark.parametrize("token", ["not-a-token", "", "gAAAAAB" + "A" * 80])
def test_decrypting_garbage_raises_vault_error(vault: ContactVault, token: str) -> None:
    with pytest.raises(VaultError):
        vault.decrypt(token)


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [
        pytest.param([], "No encryption key", id="no-keys"),
        pytest.param(["not-a-fernet-key"], "Fernet keys", id="not-base64-32-bytes"),
        pytest.param(["c2hvcnQ="], "Fernet keys", id="too-short"),
        pytest.param([Fernet.generate_key().decode(), "bad"], "Fernet keys", id="one-bad-among-good"),
    ],
)
def test_bad_encryption_keys_raise_vault_error(keys: list[str], fragment: str) -> None:
    with pytest.raises(VaultError) as caught:
        ContactVault(keys, HASH_KEY)

    assert fragment in str(caught.value)
    assert "INTAKE_ENCRYPTION_KEYS" in str(caught.value)


@pytest.mark.parametrize("hash_key", ["", "short", "x" * 31])
def test_short_hash_key_raises_vault_error(hash_key: str) -> None:
    with pytest.raises(VaultError, match="INTAKE_HASH_KEY"):
        ContactVault([new_key()], hash_key)


def test_hash_key_of_exactly_32_characters_is_accepted() -> None:
    vault = ContactVault([new_key()], "x" * 32)

    assert len(vault.lookup_hash("sms", PHONE)) == 64
