"""What a refused change says: one message per field, written for the person who filled the form."""

from __future__ import annotations


class Invalid(ValueError):
    """The change was not made. ``errors`` maps each field to a sentence saying what to do."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# The largest id an integer column holds on every database (PostgreSQL's INTEGER).
MAX_ID = 2**31 - 1


def read_id(value: str) -> int | None:
    """A record's number from a form, a link or a filter; None if it cannot be one (so the
    database is never asked about a number its columns cannot hold)."""
    value = value.strip()
    if not value.isdecimal() or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def clean_text(value: str | None) -> str:
    """Text from a form: surrounding spaces gone, Windows line endings made plain."""
    return (value or "").replace("\r\n", "\n").strip()


def check_length(errors: dict[str, str], field: str, value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        errors.setdefault(field, f"{what} must be {limit:,} characters or fewer")


def check_services(errors: dict[str, str], field: str, services: list[str],
                   known: frozenset[str]) -> list[str]:
    """The chosen services without repeats; an unknown id is an error (a stale form, usually)."""
    unknown = [s for s in services if s not in known]
    if unknown:
        errors.setdefault(field, "Choose services from the list")
    return list(dict.fromkeys(services))
