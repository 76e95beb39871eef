"""Labels staff read instead of ids, taken from the configuration: services, languages, needs
(interpreters with their language), safety flags, channels, statuses and FFT answers; ids the
configuration no longer has are shown as stored; facet counts in their order."""

from __future__ import annotations

import pytest

from intake.config import Config
from intake.feedback_query import NONE
from intake.message import FftRating
from intake.staff.labels import CHANNEL_LABELS, FFT_LABELS, NONE_LABELS, STATUS_LABELS, Count, Labels
from intake.storage.models import FeedbackStatus


@pytest.fixture
def labels(config: Config) -> Labels:
    return Labels(config)


def test_every_fft_answer_and_status_has_a_label() -> None:
    assert set(FFT_LABELS) == set(FftRating)
    assert set(STATUS_LABELS) == set(FeedbackStatus)


def test_services_and_languages_use_their_configured_names(labels: Labels, config: Config) -> None:
    assert labels.service("gp") == "GP surgery"
    assert labels.language("ur") == "Urdu"
    for service in config.services:
        assert labels.service(service.id) == service.name


def test_ids_the_configuration_no_longer_has_are_shown_as_stored(labels: Labels) -> None:
    assert labels.service("walk-in-centre-2019") == "walk-in-centre-2019"
    assert labels.language("xx") == "xx"
    assert labels.need("braille-grade-9") == "braille-grade-9"
    assert labels.flag("retired-flag") == "retired-flag"
    assert labels.channel("fax") == "fax"
    assert labels.status("archived") == "archived"


def test_needs_use_their_labels_and_interpreters_name_the_language(labels: Labels, config: Config) -> None:
    assert labels.need("easy-read") == config.needs_by_id["easy-read"].label
    assert labels.need("interpreter:ur") == "Spoken-language interpreter (Urdu)"
    assert labels.need("interpreter:pl") == "Spoken-language interpreter (Polish)"
    # A language the configuration does not list keeps its code inside the label.
    assert labels.need("interpreter:xx") == "Spoken-language interpreter (xx)"


def test_safety_flags_use_their_labels(labels: Labels, config: Config) -> None:
    for flag in config.safety.flags:
        assert labels.flag(flag.id) == flag.label
    assert labels.flag("suicide-self-harm") == "Suicidal thoughts or self-harm"


def test_channels_and_statuses(labels: Labels) -> None:
    assert [labels.channel(c) for c in ("sms", "telegram", "web", "cli", "import")] == [
        "SMS", "Telegram", "Web form", "Entered by staff", "Imported from a file"]
    assert set(CHANNEL_LABELS) == {"sms", "telegram", "web", "cli", "import"}
    assert [labels.status(s) for s in ("new", "in-review", "actioned", "closed")] == [
        "New", "In review", "Actioned", "Closed"]


@pytest.mark.parametrize(("rating", "shown"), [
    ("very-good", "Very good"),
    ("neither-good-nor-poor", "Neither good nor poor"),
    ("dont-know", "Don't know"),
    (None, ""),
    ("", ""),
    ("excellent", "excellent"),     # not an FFT answer: shown as stored
])
def test_fft_answers(labels: Labels, rating: str | None, shown: str) -> None:
    assert labels.fft(rating) == shown


def test_label_picks_the_right_kind(labels: Labels) -> None:
    assert labels.label("service", "gp") == "GP surgery"
    assert labels.label("language", "pl") == "Polish"
    assert labels.label("need", "interpreter:ur") == "Spoken-language interpreter (Urdu)"
    assert labels.label("flag", "emergency-now") == "A medical emergency happening now"
    assert labels.label("channel", "sms") == "SMS"
    assert labels.label("status", "in-review") == "In review"
    assert labels.label("theme", "waiting-times") == "waiting-times"   # no labels: as stored


def test_none_has_a_label_for_each_kind(labels: Labels) -> None:
    for kind, shown in NONE_LABELS.items():
        assert labels.label(kind, NONE) == shown
    assert labels.label("service", NONE) == "No service yet"
    assert labels.label("channel", NONE) == "None"


def test_counts_are_largest_first_then_by_label_with_none_last(labels: Labels) -> None:
    counts = labels.counts("service", {NONE: 9, "pharmacy": 2, "gp": 5, "dental": 2, "maternity": 0})
    assert counts == [Count("gp", "GP surgery", 5), Count("dental", "Dentist", 2),
                      Count("pharmacy", "Pharmacy", 2), Count(NONE, "No service yet", 9)]


def test_counts_order_ties_by_label_not_by_id_and_ignore_case(labels: Labels) -> None:
    counts = labels.counts("service", {"hospital-inpatients": 1, "hospital-outpatients": 1})
    assert [c.label for c in counts] == ["Hospital outpatients", "Hospital stay (inpatients)"]
    # An id the configuration no longer has is labelled in lower case: it sorts among the others.
    counts = labels.counts("service", {"dental": 2, "bus-service": 2, "ambulance": 2})
    assert [c.label for c in counts] == ["Ambulance service", "bus-service", "Dentist"]


def test_counts_leave_out_values_nobody_has(labels: Labels) -> None:
    assert labels.counts("need", {"easy-read": 0, NONE: 0}) == []
    assert labels.counts("need", {}) == []
    assert labels.counts("need", {NONE: 4}) == [Count(NONE, "No need recorded", 4)]
