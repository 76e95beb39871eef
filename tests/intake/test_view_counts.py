"""A view's counts: exact when its filters are narrow, estimated from the counting sample when
they are broad, each group of counts judged on its own, and shown for what they are."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from intake.feedback_query import (
    FACETS,
    FeedbackFilters,
    all_facet_counts,
    count,
    facet_counts,
    tagged_count,
)
from intake.feedback_sample import EVERY
from intake.view_counts import ViewCounts, rounded, upper_bound, view_counts

EVERYTHING = 10**9   # exact_up_to: every group is narrow
NOTHING = 0          # exact_up_to: every group with an item in the sample is broad


def scaled(counts: dict[str, int]) -> dict[str, int]:
    return {value: number * EVERY for value, number in counts.items()}


VIEWS = [FeedbackFilters(), FeedbackFilters(status="new"),
         FeedbackFilters(language="ur", need="interpreter"), FeedbackFilters(tracker=1, text="text")]


@pytest.mark.parametrize("filters", VIEWS)
def test_a_narrow_view_is_counted_exactly(half_sampled: Session, filters: FeedbackFilters) -> None:
    session = half_sampled
    counts = view_counts(session, filters, EVERYTHING)
    total = count(session, filters)
    assert (counts.total, counts.total_estimated, counts.estimated) == (total, False, frozenset())
    wanted = {facet: facet_counts(session, filters, facet) for facet in FACETS}
    wanted["need"]["interpreter"] = tagged_count(session, filters, "need", "interpreter")
    assert counts.facets == wanted


@pytest.mark.parametrize("filters", [*VIEWS[:3], FeedbackFilters(text="text 1"),
                                     FeedbackFilters(text="text", status="new", need="easy-read")])
def test_a_broad_view_is_estimated_from_the_sample(half_sampled: Session,
                                                   filters: FeedbackFilters) -> None:
    session = half_sampled
    counts = view_counts(session, filters, NOTHING)
    sampled = filters.sampled()
    assert counts.total == count(session, sampled) * EVERY > 0
    assert counts.total_estimated and counts.estimated == frozenset(FACETS)
    wanted = {facet: scaled(facet_counts(session, sampled, facet)) for facet in FACETS}
    wanted["need"]["interpreter"] = tagged_count(session, sampled, "need", "interpreter") * EVERY
    assert counts.facets == wanted


def test_each_group_is_judged_by_its_own_narrowest_filter(half_sampled: Session) -> None:
    """Status 'new' alone is narrow enough here and the service 'gp' is not: the facets not
    filtered on, and the service's own counts (under status alone), are exact; the status's
    own counts (under the service alone, which is broad) are estimated."""
    session = half_sampled
    new, gp = FeedbackFilters(status="new"), FeedbackFilters(service="gp")
    sampled_new, sampled_gp = count(session, new.sampled()), count(session, gp.sampled())
    assert 0 < sampled_new < sampled_gp
    filters = FeedbackFilters(status="new", service="gp")
    counts = view_counts(session, filters, sampled_new * EVERY)
    assert counts.estimated == {"status"}
    assert not counts.total_estimated and counts.total == count(session, filters)
    others = [facet for facet in FACETS if facet not in ("status", "service")]
    exact = all_facet_counts(session, filters, counts.total, others)
    assert {facet: counts.facets[facet] for facet in others if facet != "need"} == {
        facet: exact[facet] for facet in others if facet != "need"}
    assert counts.facets["service"] == facet_counts(session, filters, "service")
    assert counts.facets["status"] == scaled(facet_counts(session, filters.sampled(), "status"))


def test_a_link_facet_with_no_other_filter_is_always_exact(half_sampled: Session) -> None:
    session = half_sampled
    counts = view_counts(session, FeedbackFilters(tracker=1), NOTHING)
    assert "tracker" not in counts.estimated
    assert counts.facets["tracker"] == facet_counts(session, FeedbackFilters(), "tracker")


def test_an_estimate_is_rounded_and_says_so() -> None:
    """Seen ten times or more in the sample: "about", to two figures. Fewer: an upper bound
    (95%), so a rare value is never given a number the sample cannot back."""
    counts = ViewCounts(total=276_300, total_estimated=True,
                        facets={"service": {"gp": 276_300, "dental": 1_000, "eye": 900,
                                            "ent": 100, "none": 0},
                                "status": {"new": 1_234}},
                        estimated=frozenset({"service"}))
    assert counts.total_shown() == "about 280,000"
    assert counts.shown("service", "gp") == "about 280,000"
    assert counts.shown("service", "dental") == "about 1,000"
    assert counts.shown("service", "eye") == "fewer than 1,600"
    assert counts.shown("service", "ent") == "fewer than 480"
    assert counts.shown("service", "none") == "fewer than 300"
    assert counts.shown("status", "new") == "1,234"
    assert [upper_bound(seen) for seen in range(10)] == [300, 480, 630, 780, 920, 1_100, 1_200,
                                                         1_400, 1_500, 1_600]
    assert counts.may_have("service", "braille") and not counts.may_have("status", "closed")
    assert [rounded(n) for n in (7, 99, 1_234, 1_250, 98_765)] == [7, 99, 1_200, 1_200, 99_000]
