"""The queue's filters as the API's query parameters, checked strictly: a client learns at once
which parameter is wrong, instead of silently getting everything.

The names are the workspace queue's (``status``, ``channel``, ``service``, ``language``,
``need``, ``flag``, ``consultation``, ``tracker``, ``since``, ``until``, ``q``) plus ``theme`` and
``reference``. ``since`` and ``until`` take a day (2026-09-01: whole days in UK time, both
included, as in the queue) or a moment (2026-09-01T09:00:00Z: from that moment, and before it
for ``until``, as BI tools' incremental refresh asks; a time without a zone is UK time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from werkzeug.datastructures import MultiDict

from intake.config import Config
from intake.feedback_query import NONE, FeedbackFilters
from intake.references import normalise_reference
from intake.staff.dates import LONDON, end_of_day, start_of_day
from intake.staff.validation import MAX_ID, read_id
from intake.storage.models import FeedbackStatus
from webhooks.api.errors import ApiProblem

DEFAULT_PER_PAGE = 50
MOST_PER_PAGE = 200
MOST_TEXT = 200
FILTER_NAMES = ("status", "channel", "service", "language", "need", "flag", "theme", "consultation",
                "tracker", "since", "until", "q", "reference")
PARAMETERS = (*FILTER_NAMES, "page", "per_page")
CHANNEL = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_VALUE = re.compile(r"^[a-z0-9][a-z0-9:_-]{0,63}$")
INTERPRETER = "interpreter:"


@dataclass(frozen=True)
class FeedbackQuery:
    filters: FeedbackFilters
    args: dict[str, str]          # the filters as given, for the next page's link
    page: int
    per_page: int


def bad(parameter: str, message: str) -> ApiProblem:
    return ApiProblem(400, "bad-parameter", f"{parameter}: {message}", parameter=parameter)


def read_query(values: MultiDict[str, str], config: Config) -> FeedbackQuery:
    for name in values:
        if name not in PARAMETERS:
            raise bad(name, f"there is no parameter called {name!r}. The parameters are: "
                            f"{', '.join(PARAMETERS)}.")
        if len(values.getlist(name)) > 1:
            raise bad(name, "give it once")
    args = {name: values[name].strip() for name in FILTER_NAMES if values.get(name, "").strip()}
    check = _Checker(config)
    for name, value in args.items():
        getattr(check, name)(value)
    since, until = args.get("since"), args.get("until")
    filters = FeedbackFilters(
        reference=normalise_reference(args["reference"]) if "reference" in args else None,
        status=args.get("status"), channel=args.get("channel"), service=args.get("service"),
        language=args.get("language"), need=args.get("need"), flag=args.get("flag"),
        theme=args.get("theme"), consultation=args.get("consultation"),
        tracker=int(args["tracker"]) if "tracker" in args else None,
        since=moment("since", since, end=False) if since else None,
        until=moment("until", until, end=True) if until else None,
        text=args.get("q"))
    if filters.since and filters.until and filters.until <= filters.since:
        raise bad("until", "must be after since")
    page = _whole_number("page", values.get("page", ""), 1, MAX_ID, default=1)
    per_page = _whole_number("per_page", values.get("per_page", ""), 1, MOST_PER_PAGE,
                             default=DEFAULT_PER_PAGE)
    return FeedbackQuery(filters, args, page, per_page)


def moment(name: str, text: str, end: bool) -> datetime:
    """A day (its start; for ``until`` its end, so the day is included) or an exact moment."""
    try:
        day = date.fromisoformat(text)  # 2026-09-01, and ISO's other day forms (20260901)
    except ValueError:
        if len(text) == 10:
            raise bad(name, f"{text!r} is not a real date; write it like 2026-09-01") from None
    else:
        return end_of_day(day) if end else start_of_day(day)
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise bad(name, f"{text!r} is not a date or a time; write 2026-09-01 or "
                        "2026-09-01T09:00:00Z") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)
    try:
        parsed.astimezone(UTC)  # the database compares in UTC: it must exist there too
    except OverflowError:
        raise bad(name, f"{text!r} is outside the calendar in UTC; give a date between the "
                        "years 1 and 9999") from None
    return parsed


def _whole_number(name: str, text: str, least: int, most: int | None = None,
                  default: int = 1) -> int:
    if text.strip() == "":
        return default
    if (not text.strip().isdecimal() or len(text.strip()) > 20 or int(text) < least
            or (most is not None and int(text) > most)):
        limits = f"from {least} to {most}" if most is not None else f"{least} or more"
        raise bad(name, f"must be a whole number {limits}")
    return int(text)


class _Checker:
    """One method per filter; each raises ``bad(...)`` for a value the filter cannot take."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def status(self, value: str) -> None:
        if value not in set(FeedbackStatus):
            raise bad("status", f"use one of {', '.join(s.value for s in FeedbackStatus)}")

    def channel(self, value: str) -> None:
        if not CHANNEL.match(value):
            raise bad("channel", "use a channel name like sms, telegram, web or import")

    def service(self, value: str) -> None:
        if value != NONE and value not in self.config.service_ids:
            raise bad("service", f"no service has the id {value!r}; use one of "
                                 f"{', '.join(sorted(self.config.service_ids))} or none")

    def language(self, value: str) -> None:
        if value not in (NONE, "und", *self.config.language_codes):
            raise bad("language", f"no language has the code {value!r}; use one of "
                                  f"{', '.join(self.config.language_codes)}, und or none")

    def need(self, value: str) -> None:
        if value == NONE or value in self.config.needs_by_id:
            return
        if value.startswith(INTERPRETER) and value.removeprefix(INTERPRETER) in \
                self.config.language_codes:
            return
        raise bad("need", f"no need has the id {value!r}; use a need id such as bsl-interpreter, "
                          "interpreter:ur, or none")

    def flag(self, value: str) -> None:
        if not TAG_VALUE.match(value):
            raise bad("flag", "use a flag id of lower-case letters, digits and hyphens, or none")

    def theme(self, value: str) -> None:
        if not TAG_VALUE.match(value):
            raise bad("theme", "use a theme id of lower-case letters, digits and hyphens, or none")

    def consultation(self, value: str) -> None:
        if len(value) > 80 or not SLUG.match(value):
            raise bad("consultation", "use a consultation's short name, like maternity-services-2026")

    def tracker(self, value: str) -> None:
        if read_id(value) is None:
            raise bad("tracker", "use a tracker item's number, like 12")

    def since(self, value: str) -> None:
        moment("since", value, end=False)

    def until(self, value: str) -> None:
        moment("until", value, end=True)

    def q(self, value: str) -> None:
        if len(value) > MOST_TEXT:
            raise bad("q", f"search for at most {MOST_TEXT} characters")

    def reference(self, value: str) -> None:
        if normalise_reference(value) is None:
            raise bad("reference", "use a feedback reference like FB-7K3M9Q")
