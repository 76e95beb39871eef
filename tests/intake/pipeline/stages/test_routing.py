"""Behaviour of the routing stage: links to tracker items and consultations by routing.toml rules."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from intake.config import Config
from intake.config.schema import RoutingRule
from intake.message import Answers, IncomingMessage
from intake.pipeline import Draft, LinkProposal, PipelineContext, Taggers, TagProposal
from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.pipeline.stages.routing import STAGE
from tests.conftest import FIXED_NOW

DAY = timedelta(days=1)


def consultation(
    id: int = 1,
    slug: str = "gp-access",
    services: tuple[str, ...] = ("gp",),
    keywords: tuple[str, ...] = (),
    opens_at: datetime | None = FIXED_NOW - DAY,
    closes_at: datetime | None = FIXED_NOW + DAY,
    status: str = "open",
) -> ConsultationTarget:
    return ConsultationTarget(id, slug, frozenset(services), keywords, opens_at, closes_at, status)


def make_context(
    config: Config,
    taggers: Taggers,
    trackers: tuple[TrackerTarget, ...] = (),
    consultations: tuple[ConsultationTarget, ...] = (),
) -> PipelineContext:
    return PipelineContext(config=config, taggers=taggers, tracker_items=trackers,
                           consultations=consultations, now=FIXED_NOW)


def draft(
    text: str = "Some feedback",
    services: dict[str, float] | None = None,
    entry_point: str | None = None,
    received_at: datetime | None = None,
) -> Draft:
    message = IncomingMessage("web", "m-1", text, received_at=received_at,
                              answers=Answers(consultation=entry_point))
    tags = tuple(TagProposal("service", value, confidence, "auto", "service@1")
                 for value, confidence in (services or {}).items())
    return Draft(message=message, text=text, tags=tags)


def links(context: PipelineContext, d: Draft) -> set[tuple[str, int, str]]:
    return {(link.target, link.target_id, link.rule_id) for link in STAGE(d, context).links}


def test_routing_rules_are_in_the_documented_order(config: Config) -> None:
    assert [rule.id for rule in config.routing] == [
        "tracker-by-service",
        "consultation-entry-point",
        "consultation-invitation-reply",
        "consultation-by-service",
        "consultation-by-keyword",
    ]


def test_no_targets_means_no_links(context: PipelineContext) -> None:
    result = STAGE(draft(services={"gp": 1.0}, entry_point="gp-access"), context)
    assert result.links == ()
    assert result.stage_versions == ("routing@1",)


@pytest.mark.parametrize(
    ("confidence", "linked"), [(1.0, True), (0.6, True), (0.5, True), (0.49, False), (0.1, False)]
)
def test_tracker_item_is_linked_by_service_at_or_above_min_confidence(
    config: Config, taggers: Taggers, confidence: float, linked: bool
) -> None:
    context = make_context(config, taggers, trackers=(TrackerTarget(7, frozenset({"gp", "pharmacy"})),))
    expected = {("tracker", 7, "tracker-by-service")} if linked else set()
    assert links(context, draft(services={"gp": confidence})) == expected


def test_every_tracker_item_covering_a_service_is_linked(config: Config, taggers: Taggers) -> None:
    trackers = (
        TrackerTarget(1, frozenset({"gp"})),
        TrackerTarget(2, frozenset({"dental"})),
        TrackerTarget(3, frozenset({"gp", "dental"})),
        TrackerTarget(4, frozenset({"maternity"})),
    )
    context = make_context(config, taggers, trackers=trackers)
    found = links(context, draft(services={"gp": 0.6, "dental": 0.9}))
    assert found == {("tracker", i, "tracker-by-service") for i in (1, 2, 3)}


@pytest.mark.parametrize(("confidence", "linked"), [(0.6, True), (0.59, False)])
def test_open_consultation_is_linked_by_service_above_its_own_min_confidence(
    config: Config, taggers: Taggers, confidence: float, linked: bool
) -> None:
    context = make_context(config, taggers, consultations=(consultation(),))
    expected = {("consultation", 1, "consultation-by-service")} if linked else set()
    assert links(context, draft(services={"gp": confidence})) == expected


def test_open_consultation_is_linked_by_keyword(config: Config, taggers: Taggers) -> None:
    target = consultation(services=("ambulance",), keywords=("car park", "parking"))
    context = make_context(config, taggers, consultations=(target,))
    assert links(context, draft("The hospital CAR  PARK is always full")) == {
        ("consultation", 1, "consultation-by-keyword")
    }
    assert links(context, draft("The parkland nearby is lovely")) == set()


def test_consultation_without_keywords_is_not_linked_by_keyword(config: Config, taggers: Taggers) -> None:
    context = make_context(config, taggers, consultations=(consultation(keywords=()),))
    assert links(context, draft("gp-access gp access")) == set()


@pytest.mark.parametrize(
    "target",
    [
        consultation(status="closed"),
        consultation(status="draft"),
        consultation(opens_at=FIXED_NOW + DAY, closes_at=FIXED_NOW + 2 * DAY),
        consultation(opens_at=FIXED_NOW - 2 * DAY, closes_at=FIXED_NOW - DAY),
        consultation(closes_at=FIXED_NOW),
    ],
    ids=["closed", "draft", "not-yet-open", "past-closing-date", "closes-now"],
)
def test_consultation_not_open_is_linked_only_by_entry_point(
    config: Config, taggers: Taggers, target: ConsultationTarget
) -> None:
    target = dataclasses.replace(target, keywords=("waiting room",))
    context = make_context(config, taggers, consultations=(target,))
    text = "The GP waiting room was cold"
    assert links(context, draft(text, services={"gp": 1.0})) == set()
    assert links(context, draft(text, services={"gp": 1.0}, entry_point="gp-access")) == {
        ("consultation", 1, "consultation-entry-point")
    }


def test_entry_point_links_only_the_consultation_with_that_slug(config: Config, taggers: Taggers) -> None:
    targets = (consultation(1, "gp-access", services=()), consultation(2, "dental-plans", services=()))
    context = make_context(config, taggers, consultations=targets)
    assert links(context, draft(entry_point="dental-plans")) == {
        ("consultation", 2, "consultation-entry-point")
    }
    assert links(context, draft(entry_point="unknown-slug")) == set()


def test_openness_is_judged_when_the_message_was_received(config: Config, taggers: Taggers) -> None:
    target = consultation(opens_at=FIXED_NOW - 3 * DAY, closes_at=FIXED_NOW - DAY)
    context = make_context(config, taggers, consultations=(target,))
    assert links(context, draft(services={"gp": 1.0})) == set()
    received_while_open = draft(services={"gp": 1.0}, received_at=FIXED_NOW - 2 * DAY)
    assert links(context, received_while_open) == {("consultation", 1, "consultation-by-service")}


def test_consultation_without_dates_is_open_while_its_status_is(config: Config, taggers: Taggers) -> None:
    context = make_context(config, taggers, consultations=(consultation(opens_at=None, closes_at=None),))
    assert links(context, draft(services={"gp": 1.0})) == {("consultation", 1, "consultation-by-service")}


@pytest.mark.parametrize(
    ("entry_point", "rule"),
    [("gp-access", "consultation-entry-point"), (None, "consultation-by-service")],
)
def test_a_target_is_linked_once_by_the_first_matching_rule(
    config: Config, taggers: Taggers, entry_point: str | None, rule: str
) -> None:
    target = consultation(keywords=("waiting room",))
    context = make_context(config, taggers, consultations=(target,))
    result = STAGE(draft("The GP waiting room", services={"gp": 1.0}, entry_point=entry_point), context)
    assert result.links == (LinkProposal("consultation", 1, rule),)


def test_tracker_and_consultation_with_the_same_id_are_both_linked(config: Config, taggers: Taggers) -> None:
    context = make_context(config, taggers, trackers=(TrackerTarget(1, frozenset({"gp"})),),
                           consultations=(consultation(1),))
    result = STAGE(draft(services={"gp": 1.0}), context)
    assert result.links == (
        LinkProposal("tracker", 1, "tracker-by-service"),
        LinkProposal("consultation", 1, "consultation-by-service"),
    )


def with_rule_disabled(config: Config, rule_id: str) -> Config:
    rules = tuple(
        RoutingRule(**{**rule.model_dump(), "enabled": False}) if rule.id == rule_id else rule
        for rule in config.routing
    )
    assert [rule.enabled for rule in rules].count(False) == 1
    return dataclasses.replace(config, routing=rules)


def test_disabled_tracker_rule_links_nothing(config: Config, taggers: Taggers) -> None:
    changed = with_rule_disabled(config, "tracker-by-service")
    context = make_context(changed, taggers, trackers=(TrackerTarget(7, frozenset({"gp"})),))
    assert links(context, draft(services={"gp": 1.0})) == set()


def test_disabling_a_rule_lets_the_next_matching_rule_link(config: Config, taggers: Taggers) -> None:
    changed = with_rule_disabled(config, "consultation-entry-point")
    target = consultation(keywords=("waiting room",))
    context = make_context(changed, taggers, consultations=(target,))
    found = links(context, draft("The waiting room", services={"gp": 1.0}, entry_point="gp-access"))
    assert found == {("consultation", 1, "consultation-by-service")}


def test_disabled_entry_point_rule_leaves_closed_one_unlinked(config: Config, taggers: Taggers) -> None:
    changed = with_rule_disabled(config, "consultation-entry-point")
    context = make_context(changed, taggers, consultations=(consultation(status="closed"),))
    assert links(context, draft(entry_point="gp-access")) == set()


def test_disabled_keyword_rule_links_nothing(config: Config, taggers: Taggers) -> None:
    changed = with_rule_disabled(config, "consultation-by-keyword")
    target = consultation(services=(), keywords=("parking",))
    context = make_context(changed, taggers, consultations=(target,))
    assert links(context, draft("Parking was impossible")) == set()
