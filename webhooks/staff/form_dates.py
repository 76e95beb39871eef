"""Reading the NHS.UK date input (day, month and year boxes) and linking errors to the right box.

The date input names its boxes ``<name>[day]``, ``<name>[month]`` and ``<name>[year]`` and gives
them ids ``<name>-day`` and so on; an error summary link goes to the day box, as the NHS.UK
design system asks.
"""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

PARTS = ("day", "month", "year")


def date_values(form: MultiDict[str, str], name: str) -> dict[str, str]:
    """What was typed, to show again."""
    return {part: form.get(f"{name}[{part}]", "").strip() for part in PARTS}


def values_of(day: date | None) -> dict[str, str]:
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)} if day else \
        dict.fromkeys(PARTS, "")


def read_date(form: MultiDict[str, str], name: str, label: str,
              errors: dict[str, str]) -> date | None:
    """The date typed in ``name``'s boxes; None when all are empty. A problem goes in ``errors``
    in the design system's words ("… must include a month", "… must be a real date")."""
    typed = date_values(form, name)
    if not any(typed.values()):
        return None
    missing = [part for part in PARTS if not typed[part]]
    if missing:
        errors[name] = f"{label} must include a {' and '.join(missing)}"
        return None
    try:
        day, month, year = (int(typed[part]) for part in PARTS)
        if year < 1000:
            raise ValueError
        return date(year, month, day)
    except (ValueError, OverflowError):  # a year of ten digits overflows, too
        errors[name] = f"{label} must be a real date"
        return None


def error_links(errors: dict[str, str], date_fields: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The error summary's list: each message links to its field (a date's day box)."""
    return [{"text": text, "href": f"#{field}-day" if field in date_fields else f"#{field}"}
            for field, text in errors.items()]
