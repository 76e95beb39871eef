"""webhooks.api.params: the API's query parameters read strictly into the queue's filters (a bad
one is a 400 naming it), days in UK time, moments as given, and the page's bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from intake.config import Config
from intake.storage.models import FeedbackStatus
from webhooks.api.errors import ApiProblem
from webhooks.api.params import (
    DEFAULT_PER_PAGE,
    FILTER_NAMES,
    MOST_PER_PAGE,
    MOST_TEXT,
    PARAMETERS,
    FeedbackQuery,
    moment,
    read_query,
)


def query(config: Config, *pairs: tuple[str, str], **values: str) -> FeedbackQuery:
    return read_query(MultiDict([*pairs, *values.items()]), config)


def refused(config: Config, *pairs: tuple[str, str], **values: str) -> ApiProblem:
    with pytest.raises(ApiProblem) as raised:
        query(config, *pairs, **values)
    problem = raised.value
    assert (problem.status, problem.code) == (400, "bad-parameter")
    assert problem.parameter is not None and problem.message.startswith(f"{problem.parameter}: ")
    return problem


# -- read_query: the whole query ----------------------------------------------------------------
def test_no_parameters_is_the_first_page_of_everything(config: Config) -> None:
    wanted = query(config)
    assert (wanted.page, wanted.per_page, wanted.args) == (1, DEFAULT_PER_PAGE, {})
    assert all(getattr(wanted.filters, name) is None for name in (
        "reference", "status", "channel", "service", "language", "need", "flag", "theme",
        "consultation", "tracker", "since", "until", "text"))


def test_values_are_trimmed_and_blank_ones_ignored(config: Config) -> None:
    wanted = query(config, service="  gp ", language="   ", q="", page=" ", per_page="")
    assert wanted.args == {"service": "gp"}
    assert (wanted.filters.service, wanted.filters.language, wanted.filters.text) == ("gp", None, None)
    assert (wanted.page, wanted.per_page) == (1, DEFAULT_PER_PAGE)


def test_each_filter_lands_in_its_field(config: Config) -> None:
    wanted = query(config, status="new", channel="sms", service="none", language="und",
                   need="interpreter:ur", flag="safeguarding", theme="access:waiting-times",
                   consultation="maternity-services-2026", tracker="12", q="kind staff",
                   reference="fb-7k3m9q", page="3", per_page="200")
    filters = wanted.filters
    assert (filters.status, filters.channel, filters.service, filters.language) == (
        "new", "sms", "none", "und")
    assert (filters.need, filters.flag, filters.theme) == (
        "interpreter:ur", "safeguarding", "access:waiting-times")
    assert (filters.consultation, filters.tracker, filters.text) == (
        "maternity-services-2026", 12, "kind staff")
    assert filters.reference == "FB-7K3M9Q"                        # normalised...
    assert wanted.args["reference"] == "fb-7k3m9q"                 # ...but echoed as given
    assert (wanted.page, wanted.per_page) == (3, MOST_PER_PAGE)
    assert "page" not in wanted.args and "per_page" not in wanted.args


def test_an_unknown_parameter_is_named_and_the_real_ones_listed(config: Config) -> None:
    problem = refused(config, service="gp", sevice="gp")
    assert problem.parameter == "sevice"
    assert all(name in problem.message for name in PARAMETERS)


@pytest.mark.parametrize("name", ["service", "page", "q"])
def test_a_parameter_given_twice_is_refused_even_if_the_same(config: Config, name: str) -> None:
    value = "gp" if name == "service" else "1"
    problem = refused(config, (name, value), (name, value))
    assert (problem.parameter, problem.message) == (name, f"{name}: give it once")


def test_every_filter_name_is_a_parameter() -> None:
    assert set(FILTER_NAMES) <= set(PARAMETERS)
    assert set(PARAMETERS) - set(FILTER_NAMES) == {"page", "per_page"}


# -- page and per_page -------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "value", "expected"), [
    ("page", "1", 1), ("page", "2147483647", 2147483647), ("page", " 7 ", 7),
    ("per_page", "1", 1), ("per_page", "200", 200),
])
def test_page_numbers_within_bounds_are_kept(config: Config, name: str, value: str,
                                             expected: int) -> None:
    assert getattr(query(config, **{name: value}), name) == expected


@pytest.mark.parametrize(("name", "value"), [
    ("page", "0"), ("page", "2147483648"), ("page", "-1"), ("page", "+2"), ("page", "1.0"),
    ("page", "one"), ("page", "1e3"), ("page", "9" * 21),
    ("per_page", "0"), ("per_page", "201"), ("per_page", "50x"),
])
def test_page_numbers_out_of_bounds_or_not_whole_are_refused(config: Config, name: str,
                                                             value: str) -> None:
    problem = refused(config, **{name: value})
    assert problem.parameter == name and "must be a whole number from 1 to" in problem.message


# -- the filters' checks -----------------------------------------------------------------------
@pytest.mark.parametrize("status", [s.value for s in FeedbackStatus])
def test_every_status_is_accepted(config: Config, status: str) -> None:
    assert query(config, status=status).filters.status == status


@pytest.mark.parametrize(("name", "value"), [
    ("status", "New"), ("status", "open"),
    ("channel", "SMS"), ("channel", "9sms"), ("channel", "a" * 33), ("channel", "sms web"),
    ("service", "GP"), ("service", "podiatry"),
    ("language", "EN"), ("language", "xx"),
    ("need", "interpreter:xx"), ("need", "interpreter:"), ("need", "telepathy"),
    ("flag", "Safeguarding"), ("flag", "-x"), ("flag", "a" * 65),
    ("theme", "waiting times"), ("theme", "a" * 65),
    ("consultation", "Maternity"), ("consultation", "double--dash"), ("consultation", "-x"),
    ("consultation", "a" * 81),
    ("tracker", "0"), ("tracker", "-3"), ("tracker", "twelve"), ("tracker", "2147483648"),
    ("q", "x" * (MOST_TEXT + 1)),
    ("reference", "nope"),
])
def test_a_value_a_filter_cannot_take_is_refused_naming_the_filter(config: Config, name: str,
                                                                   value: str) -> None:
    assert refused(config, **{name: value}).parameter == name


@pytest.mark.parametrize(("name", "value"), [
    ("channel", "a" * 32), ("flag", "a" * 64), ("theme", "a" * 64), ("consultation", "a" * 80),
    ("q", "x" * MOST_TEXT), ("tracker", "2147483647"), ("need", "bsl-interpreter"),
    ("need", "none"), ("language", "none"),
])
def test_values_at_the_limits_are_accepted(config: Config, name: str, value: str) -> None:
    assert query(config, **{name: value}).args == {name: value}


def test_the_refusals_suggest_what_to_write(config: Config) -> None:
    assert "use one of " + ", ".join(sorted(config.service_ids)) + " or none" in refused(
        config, service="podiatry").message
    assert "und or none" in refused(config, language="xx").message
    assert "interpreter:ur" in refused(config, need="telepathy").message
    assert "like FB-7K3M9Q" in refused(config, reference="FB").message


# -- since and until -----------------------------------------------------------------------------
def test_a_day_is_whole_in_uk_time_in_summer_and_winter(config: Config) -> None:
    summer = query(config, since="2026-07-01", until="2026-07-01").filters
    assert summer.since == datetime(2026, 6, 30, 23, tzinfo=UTC)          # BST: an hour earlier
    assert summer.until == datetime(2026, 7, 1, 23, tzinfo=UTC)
    winter = query(config, since="2026-12-01", until="2026-12-01").filters
    assert winter.since == datetime(2026, 12, 1, tzinfo=UTC)
    assert winter.until == datetime(2026, 12, 2, tzinfo=UTC)


def test_a_day_across_the_clock_change_is_23_hours(config: Config) -> None:
    filters = query(config, since="2026-03-29", until="2026-03-29").filters
    assert filters.since is not None and filters.until is not None
    assert (filters.until - filters.since).total_seconds() == 23 * 3600


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-09-01T09:00:00Z", datetime(2026, 9, 1, 9, tzinfo=UTC)),
    ("2026-09-01T09:00:00+00:00", datetime(2026, 9, 1, 9, tzinfo=UTC)),
    ("2026-09-01T09:00:00 01:00", datetime(2026, 9, 1, 8, tzinfo=UTC)),   # '+' decoded as a space
    ("2026-09-01T09:00:00", datetime(2026, 9, 1, 8, tzinfo=UTC)),         # no zone: UK time (BST)
    ("2026-12-01T09:00:00", datetime(2026, 12, 1, 9, tzinfo=UTC)),        # no zone: UK time (GMT)
])
def test_a_moment_is_taken_as_given(text: str, expected: datetime) -> None:
    assert moment("since", text, end=False) == expected
    assert moment("until", text, end=True) == expected             # a moment is not stretched


def test_until_must_come_after_since(config: Config) -> None:
    problem = refused(config, since="2026-09-01T09:00:00Z", until="2026-09-01T09:00:00Z")
    assert (problem.parameter, problem.message) == ("until", "until: must be after since")
    assert refused(config, since="2026-09-02", until="2026-09-01").parameter == "until"
    assert query(config, since="2026-09-01T09:00:00Z", until="2026-09-01T09:00:01Z").filters.until


@pytest.mark.parametrize(("text", "message"), [
    ("2026-02-30", "'2026-02-30' is not a real date; write it like 2026-09-01"),
    ("01/09/2026", "'01/09/2026' is not a real date; write it like 2026-09-01"),
    ("yesterday", "'yesterday' is not a date or a time; write 2026-09-01 or 2026-09-01T09:00:00Z"),
    ("2026-09-01T25:00", "is not a date or a time"),
])
def test_a_date_that_is_not_one_says_how_to_write_it(config: Config, text: str,
                                                    message: str) -> None:
    for name in ("since", "until"):
        problem = refused(config, **{name: text})
        assert problem.parameter == name and message in problem.message


def test_the_calendars_last_day_has_no_end_but_is_accepted(config: Config) -> None:
    assert query(config, until="9999-12-31").filters.until == datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize(("name", "value"), [
    ("since", "0001-01-01T00:00:00+01:00"), ("until", "9999-12-31T23:59:59-01:00")])
def test_a_moment_outside_the_calendar_in_utc_is_refused(config: Config, name: str,
                                                         value: str) -> None:
    assert refused(config, **{name: value}).parameter == name


@pytest.mark.parametrize("day", ["2026-09-01", "20260901"])
def test_until_a_day_in_either_iso_form_includes_that_whole_day(day: str) -> None:
    """The compact form is the same day as the extended one, not a moment at its midnight."""
    assert moment("until", day, end=True) == moment("until", "2026-09-01", end=True)
    assert moment("until", day, end=True) > datetime(2026, 9, 1, 22, 59, tzinfo=UTC)
