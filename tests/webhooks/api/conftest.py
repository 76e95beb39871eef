"""Shared fixtures for the API tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.staff.accounts import issue_api_token
from intake.storage.models import StaffUser
from tests.conftest import FIXED_NOW
from tests.webhooks.staff.conftest import make_user


@pytest.fixture
def viewer(runtime: Runtime) -> dict[str, str]:
    """The Authorization header of an API token for a new viewer account."""
    email = make_user(runtime, "viewer")
    with runtime.sessions.begin() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None
        return {"Authorization": f"Bearer {issue_api_token(session, user, FIXED_NOW, 'test')}"}
