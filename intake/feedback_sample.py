"""A fixed sample of one feedback item in a hundred, for the counts of views too broad to count.

Exact counts beside every filter of a broad view mean reading every active tag of the items it
matches: 2.6 million index entries for a million items, most of a second on two cores, on every
request. Counting the same view over the sample reads a hundredth of that, and the estimate
(the sample's count times ``EVERY``) is what the queue shows, marked "about", when a view
matches more items than it can count exactly (``intake.view_counts``).

Membership is Fibonacci hashing of the item's id (Knuth's multiplicative hash, read from its
high bits): the item is in the sample when ``id * 2654435761 mod 2**32`` falls in the lowest
hundredth. Ids are given out in the order items arrive, and consecutive members are 55, 89 or
144 ids apart (the three-gap theorem), so the sample covers every stretch of time evenly, and no
column has to be kept: the partial indexes of migration 0008 hold only the sample's items and
their active tags. Membership is fixed for an item's life, so a view gives the same estimate
from one request to the next.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal_column

EVERY = 100                  # one item in EVERY is in the sample
MULTIPLIER = 2654435761     # Knuth: 2**32 divided by the golden ratio, odd
MODULUS = 4294967296        # 2**32
_BELOW = MODULUS // EVERY + 1


def in_sample(item_id: Any) -> Any:
    """The condition that the item with ``item_id`` (a column or expression) is in the sample.

    The numbers are written into the SQL, not bound, so the condition is the same text as the
    partial indexes' and both databases use those indexes for it."""
    def number(value: int) -> Any:
        return literal_column(str(value))
    return item_id * number(MULTIPLIER) % number(MODULUS) < number(_BELOW)


def is_in_sample(item_id: int) -> bool:
    """``in_sample`` in Python, for tests and for checking an item without the database."""
    return item_id * MULTIPLIER % MODULUS < _BELOW


__all__ = ["EVERY", "MODULUS", "MULTIPLIER", "in_sample", "is_in_sample"]
