"""`intake keys ...`: make encryption keys and re-encrypt stored data under a new key."""

from __future__ import annotations

import click
from sqlalchemy import select

from intake.cli.runtime import open_runtime
from intake.privacy.vault import ContactVault
from intake.storage.models import ContactAddress, InboundMessage


@click.group()
def keys() -> None:
    """Encryption keys for contact addresses and raw messages."""


@keys.command()
def generate() -> None:
    """Print a new key for INTAKE_ENCRYPTION_KEYS (put it first, keep the old ones after it)."""
    click.echo(ContactVault.generate_key())


@keys.command()
def rotate() -> None:
    """Re-encrypt every stored address and payload under the first key in INTAKE_ENCRYPTION_KEYS.

    Afterwards the old keys can be removed from the setting.
    """
    with open_runtime() as runtime, runtime.sessions.begin() as session:
        vault = runtime.settings.vault()
        count = 0
        for address in session.scalars(select(ContactAddress)):
            address.address_encrypted = vault.rotate(address.address_encrypted)
            count += 1
        # Payloads removed by retention or erasure are empty: nothing to re-encrypt.
        for inbound in session.scalars(select(InboundMessage).where(
                InboundMessage.payload_encrypted != "")):
            inbound.payload_encrypted = vault.rotate(inbound.payload_encrypted)
            count += 1
    click.echo(f"Re-encrypted {count} value(s) under the newest key.")
