"""Short reference codes people can read out, type and quote back (``FB-7K3M9Q``).

The alphabet leaves out letters and digits that are easily confused (0/O, 1/I/L, U/V) so a code
read over the phone or typed on a small keyboard survives.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 6
FEEDBACK_PREFIX = "FB"
PSEUDONYM_PREFIX = "P"


def new_code(prefix: str, length: int = LENGTH) -> str:
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_reference() -> str:
    return new_code(FEEDBACK_PREFIX)


def new_pseudonym() -> str:
    return new_code(PSEUDONYM_PREFIX)


def normalise_reference(text: str) -> str | None:
    """Turn what someone typed ("fb 7k3m9q", "7K3M9Q") into a stored reference, or None."""
    body = re.sub(r"[\s-]", "", text.strip().upper())
    if len(body) == LENGTH + len(FEEDBACK_PREFIX):
        body = body.removeprefix(FEEDBACK_PREFIX)
    if len(body) != LENGTH or any(char not in ALPHABET for char in body):
        return None
    return f"{FEEDBACK_PREFIX}-{body}"
