"""UK mobile numbers as people type them, checked with ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

UK = "GB"
MOBILE_PREFIX = "7"


def uk_mobile(text: str) -> str | None:
    """The number in E.164 form (+447700900982), or None if it is not a UK mobile number.

    Ofcom's drama range (07700 900xxx) counts as a mobile, so tests and demos work.
    """
    try:
        number = phonenumbers.parse(text, UK)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 44 or not phonenumbers.is_possible_number(number):
        return None
    if not str(number.national_number).startswith(MOBILE_PREFIX):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
