"""The counts a queue view shows: exact when the view is narrow, estimated when it is broad.

A view's counts come in groups, each counted under one set of filters: the facets not filtered
on, under all the view's filters (which also give its total), and each facet filtered on, under
every filter but its own (so its counts say what choosing another value would give). A group is
counted exactly when one of its filters alone matches ``exact_up_to`` items or fewer (as the
counting sample, ``intake.feedback_sample``, puts it); otherwise it is counted over the sample
and multiplied up, and shown as "about" a rounded number, or, for a value seen too few times
in the sample, as an upper bound ("fewer than 1,600"). Counting exactly costs time in
proportion to the items the narrowest filter leaves to test (several microseconds an item on
two cores, for each of the five or so statements of a group), so a page's cost stays bounded
whatever the database holds: at the size of one board's feedback most views are exact, at a
national survey's million the broad ones are estimated, and narrow ones (a tracker item, a
safety flag) stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake.feedback_query import (
    FACETS,
    FeedbackFilters,
    count,
    facet_counts,
    tagged_count,
    total_and_facet_counts,
)
from intake.feedback_sample import EVERY

EXACT_UP_TO = 3_000    # items a group's narrowest filter may match for exact counts (see above)
INTERPRETER = "interpreter"
LINK_FACETS = ("consultation", "tracker")
# A value seen in fewer than ten of the sample's items is too rare to estimate (one standard
# error is a third of the count or more): what can be said is an upper bound. For k items seen,
# the 95% one-sided upper limit of a Poisson count (times EVERY): with a true count that high,
# seeing k or fewer happens less than one time in twenty. For k = 0 that is the rule of three.
_POISSON_UPPER_95 = (3.00, 4.74, 6.30, 7.75, 9.15, 10.51, 11.84, 13.15, 14.43, 15.71)
ABOUT_FROM = len(_POISSON_UPPER_95)   # items seen in the sample from which a count is "about"


@dataclass(frozen=True)
class ViewCounts:
    """A view's total and the count beside every value of every facet, exact or estimated."""
    total: int
    total_estimated: bool
    facets: dict[str, dict[str, int]]
    estimated: frozenset[str]          # the facets whose counts are estimates
    share: float | None = None         # of all items, the part the view matches (when estimated)

    def number(self, facet: str, value: str) -> int:
        return self.facets[facet].get(value, 0)

    def may_have(self, facet: str, value: str) -> bool:
        """Whether choosing ``value`` could find anything: an estimate of none cannot rule it out."""
        return facet in self.estimated or self.number(facet, value) > 0

    def shown(self, facet: str, value: str) -> str:
        return _shown(self.number(facet, value), facet in self.estimated)

    def total_shown(self) -> str:
        return _shown(self.total, self.total_estimated)


def _shown(number: int, estimated: bool) -> str:
    if not estimated:
        return f"{number:,}"
    seen = number // EVERY
    if seen < ABOUT_FROM:
        return f"fewer than {upper_bound(seen):,}"
    return f"about {rounded(number):,}"


def upper_bound(seen: int) -> int:
    """Seeing ``seen`` (< ABOUT_FROM) of the sample's items have a value says the whole has
    fewer than this many, 19 times in 20."""
    bound = int(_POISSON_UPPER_95[seen] * EVERY)
    step = 10 ** max(0, len(str(bound)) - 2)
    return -(-bound // step) * step   # up, to two significant figures


def rounded(number: int) -> int:
    """Two significant figures: an estimate from a sample claims no more."""
    places = len(str(number)) - 2
    return round(number, -places) if places > 0 else number


def _scaled(counts: dict[str, int]) -> dict[str, int]:
    return {value: number * EVERY for value, number in counts.items()}


class _Sizes:
    """How many items each filter of a view matches on its own, from the sample: a group of
    counts is read exactly only when one of its filters alone matches few items, because the
    database finds the group's items from its narrowest filter and tests the rest on each (a
    few items left by two broad filters still cost the reading of the narrower of the two)."""

    def __init__(self, session: Session, filters: FeedbackFilters) -> None:
        self._session = session
        self._alone = {name: count(session, FeedbackFilters(**{name: value}).sampled())
                       for name, value in filters.active().items()}
        self._everything: int | None = None

    def everything(self) -> int:
        """The sample's size."""
        if self._everything is None:
            self._everything = count(self._session, FeedbackFilters().sampled())
        return self._everything

    def sampled(self, names: set[str]) -> int | None:
        """The sample's items matched by the filters ``names`` together, if already counted."""
        if not names:
            return self.everything()
        return self._alone[next(iter(names))] if len(names) == 1 else None

    def narrow(self, names: set[str], exact_up_to: int) -> bool:
        """Whether the items of a group filtered by ``names`` can be counted exactly."""
        smallest = min(self._alone[name] for name in names) if names else self.everything()
        return smallest * EVERY <= exact_up_to


def view_counts(session: Session, filters: FeedbackFilters, exact_up_to: int = EXACT_UP_TO,
                facets: Sequence[str] = FACETS) -> ViewCounts:
    """The total of ``filters`` and ``facet_counts`` of every facet, each group exact or estimated
    (see the module's docstring). The need facet also gets "interpreter" in any language."""
    chosen = filters.active()
    own = [facet for facet in facets if facet in chosen]
    others = [facet for facet in facets if facet not in chosen]
    sizes = _Sizes(session, filters)
    estimated: set[str] = set()
    share = None
    if sizes.narrow(set(chosen), exact_up_to):
        total, counts = total_and_facet_counts(session, filters, others)
        total_estimated = False
    else:
        sample_total, sampled = total_and_facet_counts(session, filters.sampled(), others)
        total, total_estimated = sample_total * EVERY, True
        share = sample_total / max(1, sizes.everything())
        counts = {facet: _scaled(numbers) for facet, numbers in sampled.items()}
        estimated |= set(others)
    for facet in own:
        rest = set(chosen) - {facet}
        # A link facet with no other filter reads only the link table: exact, whatever its size.
        if sizes.narrow(rest, exact_up_to) or (facet in LINK_FACETS and not rest):
            counts[facet] = facet_counts(session, filters, facet)
        else:
            counts[facet] = _scaled(facet_counts(session, filters.sampled(), facet,
                                                 sizes.sampled(rest)))
            estimated.add(facet)
    needs = counts.get("need", {})
    if any(value.startswith(INTERPRETER) for value in needs):
        # "interpreter" (any language) counts items, not tags: one item may need two languages.
        if "need" in estimated:
            needs[INTERPRETER] = tagged_count(session, filters.sampled(), "need",
                                              INTERPRETER) * EVERY
        else:
            needs[INTERPRETER] = tagged_count(session, filters, "need", INTERPRETER)
    return ViewCounts(total, total_estimated, {facet: counts[facet] for facet in facets},
                      frozenset(estimated), share)


__all__ = ["ABOUT_FROM", "EXACT_UP_TO", "ViewCounts", "rounded", "upper_bound", "view_counts"]
