"""Fixtures shared by the tests of the queue's queries and counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from intake.storage.database import make_sessions
from tests.intake.feedback_rows import fill, half_in_the_sample, link_some


@pytest.fixture
def half_sampled(engine: Engine) -> Iterator[Session]:
    """Eighty items, half of them in the counting sample, with tags and links."""
    with make_sessions(engine)() as session:
        fill(session, 80, ids=half_in_the_sample(80))
        link_some(session)
        yield session
