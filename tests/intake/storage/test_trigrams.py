"""intake.storage.trigrams: the migrations' trigram operator class lives outside the schema being
migrated (dropping that schema must not take pg_trgm, and the queue's word index, with it), and
is named with its schema so an index finds it whatever the connection's search path.

Each test gets a database of its own made from ``template0``, so pg_trgm is not installed until
the code under test installs it (on the shared test database it always is already)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from intake.storage.database import make_engine
from intake.storage.trigrams import trigram_opclass
from tests.conftest import POSTGRES_URL, postgres_available
from tests.scratch_schema import scratch_database

pytestmark = pytest.mark.postgres
MIGRATING = "being_migrated"


@pytest.fixture
def fresh() -> Iterator[URL]:
    """A new database without pg_trgm, holding an empty schema to migrate (the search path)."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    with scratch_database(POSTGRES_URL, "involve_trgm", template="template0") as url:
        made = create_engine(url)
        try:
            with made.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {MIGRATING}"))
        finally:
            made.dispose()
        yield url.update_query_dict({"options": f"-csearch_path={MIGRATING}"})


@pytest.fixture
def migrating(fresh: URL) -> Iterator[Engine]:
    engine = make_engine(fresh.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def extension_schema(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")).scalar()


def test_pg_trgm_is_installed_in_public_not_in_the_schema_being_migrated(migrating: Engine) -> None:
    assert extension_schema(migrating) is None
    with migrating.begin() as connection:
        opclass = trigram_opclass(connection)
    assert extension_schema(migrating) == "public"
    assert opclass == "public.gin_trgm_ops"


def test_dropping_the_migrated_schema_leaves_pg_trgm_installed(migrating: Engine) -> None:
    with migrating.begin() as connection:
        trigram_opclass(connection)
        connection.execute(text(f"DROP SCHEMA {MIGRATING} CASCADE"))
    assert extension_schema(migrating) == "public"


def test_an_earlier_install_elsewhere_is_used_where_it_is(migrating: Engine) -> None:
    with migrating.begin() as connection:
        connection.execute(text("CREATE SCHEMA extensions"))
        connection.execute(text("CREATE EXTENSION pg_trgm WITH SCHEMA extensions"))
    with migrating.begin() as connection:
        assert trigram_opclass(connection) == "extensions.gin_trgm_ops"
    assert extension_schema(migrating) == "extensions"


def test_an_index_built_with_it_serves_a_word_search(migrating: Engine) -> None:
    """The qualified name works with the migrating schema alone on the search path."""
    with migrating.begin() as connection:
        opclass = trigram_opclass(connection)
        connection.execute(text("CREATE TABLE comment (id serial PRIMARY KEY, body text NOT NULL)"))
        connection.execute(text(f"CREATE INDEX comment_body_trgm ON comment USING gin (body {opclass})"))
        connection.execute(text("INSERT INTO comment (body) SELECT 'waited ' || g || ' weeks' "
                                "FROM generate_series(1, 500) g"))
        connection.execute(text("INSERT INTO comment (body) VALUES ('the receptionist was kind')"))
        connection.execute(text("ANALYZE comment"))
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(connection.execute(text(
            "EXPLAIN SELECT id FROM comment WHERE body ILIKE '%receptionist%'")).scalars())
        found = connection.execute(text(
            "SELECT body FROM comment WHERE body ILIKE '%receptionist%'")).scalars().all()
    assert "comment_body_trgm" in plan
    assert found == ["the receptionist was kind"]
