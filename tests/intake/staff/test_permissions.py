"""The permissions table: each role may do what its rank allows and no more, every action has a
least role, and a role the table does not know may do nothing."""

from __future__ import annotations

import pytest

from intake.staff.permissions import MINIMUM_ROLE, Action, can
from intake.storage.models import Role

VIEWER_ONLY = {Action.READ_QUEUE, Action.USE_API}
REVIEWER_ALSO = {Action.TRIAGE, Action.REPLY, Action.SEND_CAMPAIGN, Action.UPDATE_TRACKER}
ADMIN_ALSO = {Action.MANAGE_TRACKER, Action.MANAGE_CONSULTATIONS, Action.SEE_UNREDACTED,
              Action.MANAGE_USERS, Action.HANDLE_ERASURE, Action.MANAGE_CONFIGURATION}


def allowed(role: str | Role) -> set[Action]:
    return {action for action in Action if can(role, action)}


def test_every_action_has_a_least_role() -> None:
    assert set(MINIMUM_ROLE) == set(Action)
    assert set(Action) == VIEWER_ONLY | REVIEWER_ALSO | ADMIN_ALSO


def test_a_viewer_only_reads() -> None:
    assert allowed(Role.VIEWER) == VIEWER_ONLY


def test_a_reviewer_triages_replies_and_updates_but_does_not_manage() -> None:
    assert allowed(Role.REVIEWER) == VIEWER_ONLY | REVIEWER_ALSO


def test_an_admin_may_do_everything() -> None:
    assert allowed(Role.ADMIN) == set(Action)


@pytest.mark.parametrize("action", list(Action))
def test_each_higher_role_may_do_what_a_lower_one_may(action: Action) -> None:
    ranks = [can(role, action) for role in (Role.VIEWER, Role.REVIEWER, Role.ADMIN)]
    assert ranks == sorted(ranks)           # False before True: permission only grows with rank
    assert can(MINIMUM_ROLE[action], action)


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_the_role_may_be_given_as_its_stored_string(role: str) -> None:
    assert allowed(role) == allowed(Role(role))


@pytest.mark.parametrize("role", ["", "owner", "Admin", "ADMIN", " admin", "superuser"])
def test_an_unknown_role_may_do_nothing(role: str) -> None:
    assert allowed(role) == set()


def test_action_values_are_the_strings_the_routes_and_logs_use() -> None:
    assert Action("see-unredacted") is Action.SEE_UNREDACTED
    assert Action.MANAGE_USERS == "manage-users"
    assert len({action.value for action in Action}) == len(Action)
