"""Objects for rows a plain statement has just inserted, kept in a session as the ORM would.

The turns of a conversation are the service's hottest path, and the ORM's unit of work costs
several times the INSERT it sends. A new row there is written by a statement built once, on
its table; the object made here for it is then what the ORM's flush would have left in the
session: persistent, with no pending changes, so a later change to it is written at the flush
as usual. (Reading rows this way saves nothing: making the objects costs what the ORM's loading
does, measured.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session, make_transient_to_detached

_M = TypeVar("_M")


def adopted(session: Session, model: type[_M], values: Mapping[str, Any]) -> _M:
    """``model``'s object for a stored row with these column values (by attribute name, all of
    them with its primary key), made one of ``session``'s persistent objects. Any column left
    out is read from the database when first used."""
    instance = model(**values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
