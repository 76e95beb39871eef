"""Contact addresses and raw payloads are stored encrypted; look-ups use a keyed hash.

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography`` does the encryption; ``MultiFernet``
lets an operator add a new key in front of the old ones and re-encrypt (`rotate`) at leisure.
The look-up hash is HMAC-SHA256 with a separate key, so a stolen database alone cannot be
searched for a known phone number.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

UNREADABLE = (
    "A stored value cannot be decrypted with the configured keys. Was an old key removed from "
    "INTAKE_ENCRYPTION_KEYS before `intake keys rotate` had run?"
)


class VaultError(Exception):
    """A key is missing or wrong; the message says how to fix it."""


class ContactVault:
    def __init__(self, encryption_keys: Sequence[str], hash_key: str) -> None:
        if not encryption_keys:
            raise VaultError("No encryption key given. Set INTAKE_ENCRYPTION_KEYS.")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in encryption_keys])
        except (ValueError, TypeError) as exc:
            raise VaultError(
                "INTAKE_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes), "
                "comma-separated, newest first. Make one with `intake keys generate`."
            ) from exc
        if len(hash_key) < 32:
            raise VaultError("INTAKE_HASH_KEY must be at least 32 characters of random text.")
        self._hash_key = hash_key.encode()

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def lookup_hash(self, channel: str, address: str) -> str:
        """The same (channel, address) always gives the same hash under the same key."""
        material = f"{channel}\x1f{address.strip()}".encode()
        return hmac.new(self._hash_key, material, hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError(UNREADABLE) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key (after a new key was put first)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError(UNREADABLE) from exc
