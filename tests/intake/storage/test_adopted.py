"""``adopted``: a row inserted by a plain statement, kept in the session as the ORM would."""

from __future__ import annotations

from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.orm import Session

from intake.storage.adopted import adopted
from intake.storage.models import Contributor
from tests.conftest import FIXED_NOW
from tests.statements_sent import statements_sent

TABLE = Contributor.__table__


def stored(engine: Engine, pseudonym: str = "P7K3M9Q") -> int:
    with engine.begin() as connection:
        return int(connection.execute(insert(TABLE).values(
            pseudonym=pseudonym, preferred_language="cy", created_at=FIXED_NOW
        ).returning(TABLE.c.id)).scalar_one())


def test_an_adopted_row_is_persistent_with_nothing_to_write(engine: Engine) -> None:
    row_id = stored(engine)
    with Session(engine) as session, statements_sent(engine) as sent:
        contributor = adopted(session, Contributor, {
            "id": row_id, "pseudonym": "P7K3M9Q", "preferred_language": "cy",
            "created_at": FIXED_NOW})
        state = inspect(contributor)
        assert state.persistent and state.identity == (row_id,)
        assert not session.new and not session.dirty
        assert session.get(Contributor, row_id) is contributor  # the identity map knows it
        session.commit()
    assert sent == []  # nothing read back, nothing written


def test_a_change_to_an_adopted_row_is_written_at_the_flush(engine: Engine) -> None:
    row_id = stored(engine)
    with Session(engine) as session:
        contributor = adopted(session, Contributor, {
            "id": row_id, "pseudonym": "P7K3M9Q", "preferred_language": "cy",
            "created_at": FIXED_NOW})
        contributor.preferred_language = "pl"
        assert contributor in session.dirty
        session.commit()
    with Session(engine) as session:
        assert session.scalar(select(Contributor.preferred_language)) == "pl"


def test_a_column_left_out_is_read_when_first_used(engine: Engine) -> None:
    row_id = stored(engine)
    with Session(engine) as session:
        contributor = adopted(session, Contributor, {"id": row_id, "pseudonym": "P7K3M9Q"})
        assert "created_at" in inspect(contributor).unloaded
        assert contributor.created_at == FIXED_NOW
