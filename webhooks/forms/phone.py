"""UK mobile numbers as people type them, checked with ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

UK = "GB"
NATIONAL_DIGITS = 10
# Ofcom's range for drama and tests: not "valid" to phonenumbers, but shaped like a mobile.
DRAMA_RANGE = "7700900"


def uk_mobile(text: str) -> str | None:
    """The number in E.164 form (+447700900982), or None if it is not a UK mobile number.

    Personal numbers (070) and pagers (076) are not mobiles. Ofcom's drama range
    (07700 900xxx) counts as one, so tests and demos work.
    """
    try:
        number = phonenumbers.parse(text, UK)
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if number.country_code != 44 or len(national) != NATIONAL_DIGITS:
        return None
    mobile = (phonenumbers.is_valid_number(number)
              and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE)
    if not (mobile or national.startswith(DRAMA_RANGE)):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
