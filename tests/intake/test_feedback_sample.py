"""The counting sample: one item in a hundred, spread evenly over arrival order, the same in SQL
and Python, and read from its own partial indexes on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from intake.feedback_sample import EVERY, in_sample, is_in_sample
from intake.storage.database import make_sessions
from intake.storage.models import Feedback, Tag
from tests.conftest import FIXED_NOW


def test_one_item_in_a_hundred_is_in_the_sample() -> None:
    members = sum(is_in_sample(item) for item in range(1, 1_000_001))
    assert abs(members - 1_000_000 // EVERY) <= 10


def test_members_are_spread_evenly_over_arrival_order() -> None:
    """Consecutive members are 55, 89 or 144 ids apart (never bunched, never a long gap), and
    every last two digits occur, so no pattern of a hundred rows lines up with the sample."""
    members = [item for item in range(1, 200_001) if is_in_sample(item)]
    gaps = Counter(later - earlier for earlier, later in pairwise(members))
    assert set(gaps) == {55, 89, 144}
    assert len({item % 100 for item in members}) == 100


def add_items(session: Session, ids: range) -> None:
    for item in ids:
        feedback = Feedback(id=item, reference=f"FB-{item:06d}", channel="sms", text="t",
                            redacted_text="t", received_at=FIXED_NOW - timedelta(minutes=item),
                            pipeline_version="test")
        feedback.tags.append(Tag(kind="service", value="gp", confidence=1.0, source="auto"))
        session.add(feedback)
    session.flush()


def test_sql_and_python_agree_on_who_is_in_the_sample(engine: Engine) -> None:
    with make_sessions(engine)() as session:
        add_items(session, range(1, 1001))
        items = set(session.scalars(select(Feedback.id).where(in_sample(Feedback.id))))
        tagged = set(session.scalars(select(Tag.feedback_id).where(in_sample(Tag.feedback_id))))
    wanted = {item for item in range(1, 1001) if is_in_sample(item)}
    assert items == tagged == wanted
    assert len(wanted) == 9     # 89, 233, 322, ...: the first is id 89


def plan(session: Session, sql: str) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(session.scalars(text(f"EXPLAIN {sql}")))
    return "\n".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def test_the_databases_read_the_sample_from_its_partial_indexes(engine: Engine) -> None:
    """The condition the queries use is the partial indexes' own, so the planner may use them:
    were the two to differ by a character, every estimate would read the whole table."""
    with make_sessions(engine)() as session:
        add_items(session, range(1, 301))
        # Compiled without the driver's "%%" escaping: text() below escapes it once more.
        dialect = type(session.get_bind().dialect)(paramstyle="named")
        items = select(Feedback.received_at).where(in_sample(Feedback.id))
        tags = select(Tag.value).where(Tag.kind == "service", Tag.retracted_at.is_(None),
                                       in_sample(Tag.feedback_id))
        for query, index in ((items, "ix_feedback_sample"), (tags, "ix_tag_sample_active")):
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            assert index in plan(session, sql), sql
