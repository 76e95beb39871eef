"""`benchmarks.queue_data`: synthetic feedback made on the PostgreSQL server, in the real migrated
schema. A tiny row count on a scratch schema shows the rows are consistent with each other and with
the vocabularies the benchmark promises; the mix is checked only loosely (the seed fixes it)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from benchmarks import queue_data
from benchmarks.queue_data import (
    CHANNELS,
    CONSULTATIONS,
    DAYS,
    END,
    FLAGS,
    LANGUAGES,
    NEEDS,
    SERVICES,
    TEXTS,
    THEMES,
    TRACKER_ITEMS,
    generate,
)
from intake.references import ALPHABET
from intake.storage import migrate
from intake.storage.database import make_engine
from intake.storage.models import Feedback
from tests.conftest import POSTGRES_URL, postgres_available
from tests.scratch_schema import scratch_schema

pytestmark = pytest.mark.postgres
ROWS = 300
STATUSES = {"new", "in-review", "actioned", "closed"}


def values(choices: list[tuple[str, int]]) -> set[str]:
    return {value for value, _ in choices}


@dataclass
class Generated:
    engine: Engine
    counts: dict[str, int]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]

    def column(self, sql: str) -> list[Any]:
        return [row[0] for row in self.rows(sql)]


@contextmanager
def generated(rows: int) -> Iterator[Generated]:
    """A scratch schema, migrated with the real migrations, filled by ``generate``."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    with scratch_schema(POSTGRES_URL, prefix="qd") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            with engine.begin() as connection:
                counts = generate(connection, rows)
            yield Generated(engine, counts)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def data() -> Iterator[Generated]:
    with generated(ROWS) as made:
        yield made


def test_the_counts_returned_are_the_rows_made(data: Generated) -> None:
    people = ROWS * 3 // 10
    assert data.counts == {
        "feedback": ROWS, "contributor": people, "tracker_item": TRACKER_ITEMS,
        "consultation": CONSULTATIONS, "rows": ROWS, "people": people,
        "tag": data.column("SELECT count(*) FROM tag")[0],
        "feedback_tracker_link": data.column("SELECT count(*) FROM feedback_tracker_link")[0],
        "feedback_consultation_link":
            data.column("SELECT count(*) FROM feedback_consultation_link")[0],
    }
    assert data.counts["tag"] > ROWS  # a language tag each, and more


def test_references_and_pseudonyms_are_unique_codes_of_the_reference_alphabet(
        data: Generated) -> None:
    code = f"[{re.escape(ALPHABET)}]{{6}}"
    references = data.column("SELECT reference FROM feedback")
    pseudonyms = data.column("SELECT pseudonym FROM contributor")
    assert len(set(references)) == ROWS and len(set(pseudonyms)) == ROWS * 3 // 10
    assert all(re.fullmatch(f"FB-{code}", reference) for reference in references)
    assert all(re.fullmatch(f"P-{code}", pseudonym) for pseudonym in pseudonyms)


def test_items_are_spread_over_two_years_in_id_order(data: Generated) -> None:
    received = data.column("SELECT received_at FROM feedback ORDER BY id")
    assert received == sorted(received)
    assert END - timedelta(days=DAYS) <= received[0] and received[-1] <= END
    assert received[-1] - received[0] > timedelta(days=DAYS - 30)
    assert data.column("SELECT count(*) FROM feedback WHERE created_at <> received_at") == [0]


def test_every_value_comes_from_the_benchmarks_vocabularies(data: Generated) -> None:
    assert set(data.column("SELECT DISTINCT channel FROM feedback")) <= values(CHANNELS)
    assert set(data.column("SELECT DISTINCT status FROM feedback")) <= STATUSES
    tags: dict[str, set[str]] = {}
    for kind, value in data.rows("SELECT DISTINCT kind, value FROM tag"):
        tags.setdefault(kind, set()).add(value)
    assert set(tags) <= {"service", "language", "need", "flag", "theme"}
    assert tags["service"] <= values(SERVICES)
    assert tags["language"] <= values(LANGUAGES)
    assert tags["theme"] <= values(THEMES)
    assert tags.get("flag", set()) <= values(FLAGS)
    interpreters = {f"interpreter:{code}" for code in values(LANGUAGES) - {"en", "und"}}
    assert tags.get("need", set()) <= values(NEEDS) | interpreters


def test_each_item_has_one_language_and_a_text_in_it(data: Generated) -> None:
    rows = data.rows("""
        SELECT f.id, f.text, f.redacted_text, t.value FROM feedback f
        JOIN tag t ON t.feedback_id = f.id AND t.kind = 'language' ORDER BY f.id""")
    assert [row[0] for row in rows] == list(range(1, ROWS + 1))  # exactly one language each
    for item, text, redacted, language in rows:
        assert text == redacted
        sample, _, suffix = text.rpartition(" ")
        assert suffix == f"({item})"
        assert sample in TEXTS.get(language, TEXTS["en"]), (language, text)


def test_themes_are_only_tagged_on_english_items(data: Generated) -> None:
    assert data.column("""
        SELECT count(*) FROM tag t JOIN tag l ON l.feedback_id = t.feedback_id
        WHERE t.kind = 'theme' AND l.kind = 'language' AND l.value <> 'en'""") == [0]


def test_only_staff_corrections_are_retracted_and_they_say_by_whom(data: Generated) -> None:
    retracted = data.rows("""SELECT kind, retracted_by, retracted_at - created_at FROM tag
                             WHERE retracted_at IS NOT NULL""")
    assert retracted, "some service tags are corrected by staff"
    assert {kind for kind, _, _ in retracted} == {"service"}
    assert {by for _, by, _ in retracted} == {"staff:reviewer@example.org"}
    assert {gap for _, _, gap in retracted} == {timedelta(days=1)}
    assert data.column("SELECT count(*) FROM tag WHERE retracted_at IS NULL "
                       "AND retracted_by IS NOT NULL") == [0]


def test_who_wrote_depends_on_the_channel(data: Generated) -> None:
    rows = data.rows("SELECT channel, contributor_id, on_behalf_of, consultation_id FROM feedback")
    for channel, contributor, on_behalf_of, consultation in rows:
        if channel == "import":
            assert contributor is None
        if channel in ("sms", "telegram"):
            assert contributor is not None
        if channel != "web":
            assert on_behalf_of is None and consultation is None
    assert all(1 <= c <= ROWS * 3 // 10 for _, c, _, _ in rows if c is not None)
    writers = Counter(c for _, c, _, _ in rows if c is not None)
    assert writers.most_common(1)[0][1] > 1  # people who wrote more than once


def test_links_point_at_the_made_tracker_items_and_consultations(data: Generated) -> None:
    assert set(data.column("SELECT tracker_item_id FROM feedback_tracker_link")) <= set(
        range(1, TRACKER_ITEMS + 1))
    assert set(data.column("SELECT consultation_id FROM feedback_consultation_link")) <= set(
        range(1, CONSULTATIONS + 1))
    ratings = data.rows("SELECT tracker_item_id, count(*) FROM rag_rating_change "
                        "GROUP BY tracker_item_id")
    assert sorted(ratings) == [(i, 2) for i in range(1, TRACKER_ITEMS + 1)]


def test_the_mix_looks_like_a_district(data: Generated) -> None:
    languages = Counter(data.column("SELECT value FROM tag WHERE kind = 'language'"))
    assert languages["en"] > ROWS * 0.7                                  # mostly English
    services = Counter(data.column("SELECT value FROM tag WHERE kind = 'service' "
                                   "AND retracted_at IS NULL"))
    assert services.most_common(1)[0][0] == "gp"                         # GP the biggest service
    old = data.column(f"""SELECT status FROM feedback
                          WHERE received_at < '{(END - timedelta(days=90)).isoformat()}'""")
    assert Counter(old)["closed"] > len(old) * 0.8                       # most older items closed


def test_the_apps_models_read_the_rows_and_ids_carry_on_after_them(data: Generated) -> None:
    with Session(data.engine) as session:
        item = session.scalars(select(Feedback).where(Feedback.id == ROWS)).one()
        assert item.reference.startswith("FB-") and item.tags
        assert {tag.kind for tag in item.tags} >= {"language"}
    for table, last in (("feedback", ROWS), ("contributor", ROWS * 3 // 10),
                        ("tracker_item", TRACKER_ITEMS), ("consultation", CONSULTATIONS)):
        assert data.column(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))") == [last + 1]


def test_the_same_row_count_gives_the_same_rows() -> None:
    sql = "SELECT reference, channel, status, text, contributor_id FROM feedback ORDER BY id"
    with generated(60) as first:
        made = first.rows(sql)
        tags = first.rows("SELECT feedback_id, kind, value FROM tag ORDER BY id")
    with generated(60) as second:
        assert second.rows(sql) == made
        assert second.rows("SELECT feedback_id, kind, value FROM tag ORDER BY id") == tags


def test_weights_must_add_up_to_a_hundred() -> None:
    with pytest.raises(ValueError, match="weights add up to 99, not 100"):
        queue_data._weighted([("gp", 60), ("dental", 39)])
    assert queue_data._weighted([("it's", 100)]).count("'it''s'") == 100
