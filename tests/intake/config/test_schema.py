"""The configuration's schema, model by model: what it accepts at the edges, what it refuses, and
error messages that say which value is wrong and what would do instead (read at start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from intake.config.schema import (
    CampaignSettings,
    InterpreterLanguage,
    Language,
    LanguagesFile,
    Limits,
    Need,
    NeedsFile,
    PipelineFile,
    RetentionSettings,
    RoutingFile,
    RoutingRule,
    SafetyFile,
    SafetyFlag,
    Service,
    ServiceModelSettings,
    ServicesFile,
)

EASY_READ: dict[str, Any] = {"id": "easy-read", "category": "information-format",
                             "snomed": "796161000000101", "term": "Requires Easyread", "label": "Easy Read"}
INTERPRETER: dict[str, Any] = {"id": "interpreter", "category": "communication-professional",
                               "snomed": "315594003", "term": "Interpreter needed", "label": "Interpreter"}
ENGLISH: dict[str, Any] = {"code": "en", "name": "English", "native_name": "English"}


def refused(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    """Each problem as (key path, message), as load_config reports them."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(".".join(str(part) for part in error["loc"]), error["msg"]) for error in caught.value.errors()]


def only(model: type[BaseModel], data: dict[str, Any]) -> tuple[str, str]:
    [problem] = refused(model, data)
    return problem


def rule(**fields: Any) -> dict[str, Any]:
    return {"id": "r", "description": "d", "target": "consultation", "match": "service", **fields}


# --- ids and codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["gp", "a-and-e", "nhs-111", "111", "x"])
def test_slug_ids_accept_lower_case_words_joined_by_single_hyphens(good: str) -> None:
    assert Service(id=good, name="S").id == good


@pytest.mark.parametrize("bad", ["GP", "gp_surgery", "-gp", "gp-", "a--e", "gp surgery", "", "café"])
def test_slug_ids_refuse_anything_else_and_say_why(bad: str) -> None:
    assert only(Service, {"id": bad, "name": "S"}) == (
        "id", f"Value error, {bad!r} is not a lower-case id made of letters, digits and hyphens")


@pytest.mark.parametrize(("model", "data"), [
    (SafetyFlag, {"id": "Self Harm", "label": "Self-harm"}),
    (RoutingRule, rule(id="Tracker_by_service")),
    (Need, {**EASY_READ, "id": "Easy Read"}),
])
def test_every_id_is_a_slug(model: type[BaseModel], data: dict[str, Any]) -> None:
    key, message = only(model, data)
    assert key == "id"
    assert "is not a lower-case id" in message


@pytest.mark.parametrize("good", ["100000", "315594003", "796161000000101", "9" * 18])
def test_snomed_concepts_are_six_to_eighteen_digits(good: str) -> None:
    assert Need(**{**EASY_READ, "snomed": good}).snomed == good
    assert InterpreterLanguage(language="pl", snomed=good, names=["Polish"]).snomed == good


@pytest.mark.parametrize("bad", ["99999", "1" * 19, "0315594003", "31559400X", " 315594003", ""])
def test_other_snomed_values_are_refused_for_needs_and_interpreter_languages(bad: str) -> None:
    message = f"Value error, {bad!r} is not a SNOMED CT concept id (6 to 18 digits)"
    assert only(Need, {**EASY_READ, "snomed": bad}) == ("snomed", message)
    assert only(InterpreterLanguage, {"language": "pl", "snomed": bad, "names": ["Polish"]}) == (
        "snomed", message)


@pytest.mark.parametrize("good", ["en", "ur", "pl", "fil"])
def test_language_codes_are_two_or_three_lower_case_letters(good: str) -> None:
    assert Language(**{**ENGLISH, "code": good}).code == good


@pytest.mark.parametrize("bad", ["EN", "e", "engl", "en-GB", "e1"])
def test_other_language_codes_are_refused_with_an_example(bad: str) -> None:
    assert only(Language, {**ENGLISH, "code": bad}) == (
        "code", f"Value error, {bad!r} is not an ISO 639 language code such as 'en' or 'ur'")


def test_a_language_script_is_optional_but_must_be_known() -> None:
    assert Language(**ENGLISH).script is None
    assert Language(**ENGLISH, script="Arab").script == "Arab"
    key, message = only(Language, {**ENGLISH, "script": "Latin"})
    assert key == "script"
    assert "'Latin' is not a script code we know; use one of Arab, Armn," in message


def test_language_defaults_are_left_to_right_with_nothing_else_set() -> None:
    english = Language(**ENGLISH)
    assert (english.direction, english.langdetect_profile, english.wordlist) == ("ltr", None, None)
    assert only(Language, {**ENGLISH, "direction": "rtl "})[0] == "direction"


# --- lists: never empty, ids once -----------------------------------------------------------------


@pytest.mark.parametrize(("model", "key"), [
    (ServicesFile, "services"),
    (SafetyFile, "flags"),
    (RoutingFile, "rules"),
    (LanguagesFile, "languages"),
])
def test_the_main_list_of_each_file_must_have_an_entry(model: type[BaseModel], key: str) -> None:
    assert only(model, {key: []}) == (key, "List should have at least 1 item after validation, not 0")


@pytest.mark.parametrize(("model", "data", "message"), [
    (ServicesFile, {"services": [{"id": "gp", "name": "GP"}, {"id": "gp", "name": "GP again"}]},
     "Value error, service id 'gp' appears more than once"),
    (SafetyFile, {"flags": [{"id": "self-harm", "label": "a"}, {"id": "self-harm", "label": "b"}]},
     "Value error, flag id 'self-harm' appears more than once"),
    (RoutingFile, {"rules": [rule(id="by-service"), rule(id="by-service", match="keyword")]},
     "Value error, rule id 'by-service' appears more than once"),
    (NeedsFile, {"needs": [EASY_READ, EASY_READ], "interpreter": INTERPRETER},
     "Value error, need id 'easy-read' appears more than once"),
    # The spoken-language interpreter shares the needs' ids.
    (NeedsFile, {"needs": [{**EASY_READ, "id": "interpreter"}], "interpreter": INTERPRETER},
     "Value error, need id 'interpreter' appears more than once"),
    (LanguagesFile, {"languages": [ENGLISH, {**ENGLISH, "name": "English again"}]},
     "Value error, a language code appears more than once"),
])
def test_an_id_used_twice_is_named(model: type[BaseModel], data: dict[str, Any], message: str) -> None:
    assert only(model, data) == ("", message)


def test_the_default_language_must_be_one_of_the_languages() -> None:
    assert LanguagesFile(languages=[ENGLISH]).default == "en"
    assert only(LanguagesFile, {"default": "pl", "languages": [ENGLISH]}) == (
        "", "Value error, default language 'pl' is not in the languages list")


def test_an_interpreter_language_needs_at_least_one_name() -> None:
    assert only(InterpreterLanguage, {"language": "pl", "snomed": "315594003", "names": []})[0] == "names"


def test_needs_file_optional_tables_default_to_empty() -> None:
    needs = NeedsFile(needs=[Need(**EASY_READ)], interpreter=Need(**INTERPRETER))
    assert (needs.interpreter_languages, needs.negations, needs.negations_after) == ([], {}, {})


# --- services ------------------------------------------------------------------------------------


def test_a_blank_keyword_names_its_language() -> None:
    assert only(Service, {"id": "gp", "name": "GP", "keywords": {"en": ["gp"], "ur": ["\t"]}}) == (
        "keywords", "Value error, keywords.ur has an empty keyword")


def test_keywords_are_optional_and_kept_per_language() -> None:
    assert Service(id="gp", name="GP").keywords == {}
    assert Service(id="gp", name="GP", keywords={"pl": ["lekarz"]}).keywords == {"pl": ["lekarz"]}


# --- routing rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("match", ["service", "keyword", "entry-point", "invitation"])
def test_consultation_rules_may_match_any_way(match: str) -> None:
    assert RoutingRule(**rule(match=match)).match == match


@pytest.mark.parametrize("match", ["keyword", "entry-point", "invitation"])
def test_tracker_rules_match_only_on_service(match: str) -> None:
    assert only(RoutingRule, rule(target="tracker", match=match)) == (
        "", "Value error, tracker rules can only match on 'service'")


def test_a_rule_is_enabled_at_half_confidence_unless_told_otherwise() -> None:
    made = RoutingRule(**rule(target="tracker"))
    assert (made.enabled, made.min_confidence) == (True, 0.5)


@pytest.mark.parametrize(("confidence", "ok"), [(0.0, True), (1.0, True), (-0.01, False), (1.01, False)])
def test_rule_confidence_is_between_zero_and_one_inclusive(confidence: float, ok: bool) -> None:
    if ok:
        assert RoutingRule(**rule(min_confidence=confidence)).min_confidence == confidence
    else:
        assert only(RoutingRule, rule(min_confidence=confidence))[0] == "min_confidence"


def test_an_unknown_target_or_match_is_refused() -> None:
    assert [key for key, _ in refused(RoutingRule, rule(target="queue", match="regex"))] == [
        "target", "match"]


# --- pipeline.toml -------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "key", "lowest", "highest"), [
    (Limits, "max_text_length", 160, 100_000),
    (Limits, "min_language_letters", 1, 50),
    (RetentionSettings, "raw_payload_days", 7, 3650),
    (RetentionSettings, "original_text_days", 30, 3650),
    (RetentionSettings, "contact_details_days", 30, 3650),
    (CampaignSettings, "invitation_reply_days", 1, 90),
])
def test_numbers_are_bounded_inclusively(model: type[BaseModel], key: str, lowest: int, highest: int) -> None:
    assert getattr(model(**{key: lowest}), key) == lowest
    assert getattr(model(**{key: highest}), key) == highest
    assert only(model, {key: lowest - 1}) == (key, f"Input should be greater than or equal to {lowest}")
    assert only(model, {key: highest + 1}) == (key, f"Input should be less than or equal to {highest}")


def test_an_empty_pipeline_file_gives_the_documented_defaults() -> None:
    pipeline = PipelineFile()
    assert (pipeline.limits.max_text_length, pipeline.limits.min_language_letters) == (5000, 3)
    assert (pipeline.retention.raw_payload_days, pipeline.retention.original_text_days,
            pipeline.retention.contact_details_days) == (90, 365, 730)
    assert pipeline.campaigns == CampaignSettings(quiet_hours="21:00-08:00", timezone="Europe/London",
                                                  invitation_reply_days=14, channels=["sms", "telegram"],
                                                  opt_out_word="STOP")
    assert pipeline.service_model.file == "service-model.npz"


def test_an_unknown_section_or_key_is_refused_where_it_is() -> None:
    assert only(PipelineFile, {"limit": {}}) == ("limit", "Extra inputs are not permitted")
    assert only(PipelineFile, {"campaigns": {"quiet_hour": "22:00-07:00"}}) == (
        "campaigns.quiet_hour", "Extra inputs are not permitted")


@pytest.mark.parametrize("good", ["21:00-08:00", "00:00-23:59", "12:00-13:00", "23:59-00:00"])
def test_quiet_hours_take_any_24_hour_range(good: str) -> None:
    assert CampaignSettings(quiet_hours=good).quiet_hours == good


@pytest.mark.parametrize("bad", ["24:00-08:00", "9:00-17:00", "21:00 - 08:00", "21:60-08:00", "21.00-08.00",
                                 "21:00-08:00 "])
def test_quiet_hours_in_another_form_are_refused_with_an_example(bad: str) -> None:
    assert only(CampaignSettings, {"quiet_hours": bad}) == (
        "quiet_hours", f"Value error, {bad!r} is not a time range such as '21:00-08:00'")


def test_quiet_hours_that_start_and_end_together_are_refused() -> None:
    assert only(CampaignSettings, {"quiet_hours": "08:00-08:00"}) == (
        "quiet_hours", "Value error, '08:00-08:00' starts and ends at the same time")


@pytest.mark.parametrize("good", ["Europe/London", "UTC", "Asia/Karachi"])
def test_campaign_time_zone_must_be_a_known_zone(good: str) -> None:
    assert CampaignSettings(timezone=good).timezone == good


@pytest.mark.parametrize("bad", ["Europe/Londn", "", "../etc/passwd", "BST+1"])
def test_an_unknown_time_zone_is_refused_with_an_example(bad: str) -> None:
    assert only(CampaignSettings, {"timezone": bad}) == (
        "timezone", f"Value error, {bad!r} is not a time zone name such as 'Europe/London'")


def test_campaigns_need_at_least_one_channel() -> None:
    assert only(CampaignSettings, {"channels": []})[0] == "channels"


@pytest.mark.parametrize(("name", "ok"), [
    ("service-model.npz", True), ("v2_services.NPZ", True), ("model", True),
    ("models/service.npz", False), ("../service.npz", False), (".hidden", False), ("", False),
    ("my model.npz", False),
])
def test_the_service_model_file_is_a_plain_name(name: str, ok: bool) -> None:
    if ok:
        assert ServiceModelSettings(file=name).path_in(Path("/srv/models")) == Path("/srv/models") / name
    else:
        assert only(ServiceModelSettings, {"file": name}) == (
            "file", f"Value error, {name!r} is not a plain file name such as 'service-model.npz'")


# --- read-only and strict everywhere ------------------------------------------------------------


MINIMAL: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (Service, {"id": "gp", "name": "GP"}),
    (Need, EASY_READ),
    (InterpreterLanguage, {"language": "pl", "snomed": "315594003", "names": ["Polish"]}),
    (Language, ENGLISH),
    (SafetyFlag, {"id": "self-harm", "label": "Self-harm"}),
    (RoutingRule, rule()),
    (Limits, {}),
    (ServiceModelSettings, {}),
    (CampaignSettings, {}),
    (RetentionSettings, {}),
    (PipelineFile, {}),
    (ServicesFile, {"services": [{"id": "gp", "name": "GP"}]}),
    (NeedsFile, {"needs": [EASY_READ], "interpreter": INTERPRETER}),
    (LanguagesFile, {"languages": [ENGLISH]}),
    (SafetyFile, {"flags": [{"id": "self-harm", "label": "Self-harm"}]}),
    (RoutingFile, {"rules": [rule()]}),
]


@pytest.mark.parametrize(("model", "data"), MINIMAL, ids=[model.__name__ for model, _ in MINIMAL])
def test_every_model_refuses_unknown_keys_and_cannot_be_changed(model: type[BaseModel],
                                                                data: dict[str, Any]) -> None:
    assert only(model, {**data, "colour": "blue"}) == ("colour", "Extra inputs are not permitted")
    made = model.model_validate(data)
    first = next(iter(type(made).model_fields))
    with pytest.raises(ValidationError, match="Instance is frozen"):
        setattr(made, first, getattr(made, first))
