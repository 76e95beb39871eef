"""A request id from the proxy is kept only when it looks like one; anything else is replaced,
so no text a client chose (a phone number, an address, a long string) reaches the logs."""

from __future__ import annotations

import re

import pytest

from intake.observability.request_id import (
    accept_request_id,
    current_request_id,
    new_request_id,
    request_id_bound,
)

NEW = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("incoming", [
    "3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60",            # nginx's $request_id
    "123e4567-e89b-12d3-a456-426614174000",        # a UUID
    "Root=1-67891233-abcdef012345678912345678"[5:],  # a load balancer's trace id
])
def test_a_well_formed_id_is_kept(incoming: str) -> None:
    assert accept_request_id(incoming) == incoming


@pytest.mark.parametrize("incoming", [
    None, "", "short", "+447700900123", "447700900123", "07700 900123", "07700900123",
    "someone@example.com", "a" * 65, "id with spaces inside",
    "0123456789abcdef\nforged log line", "<script>alert(1)</script>", "ünïcödé-request-id",
])
def test_anything_else_is_replaced_by_a_new_id(incoming: str | None) -> None:
    replaced = accept_request_id(incoming)
    assert NEW.fullmatch(replaced)
    assert replaced != incoming


def test_new_ids_differ() -> None:
    assert len({new_request_id() for _ in range(100)}) == 100


def test_the_id_is_bound_only_inside_the_block() -> None:
    assert current_request_id() is None
    with request_id_bound("0123456789abcdef"):
        assert current_request_id() == "0123456789abcdef"
        with request_id_bound("fedcba9876543210"):
            assert current_request_id() == "fedcba9876543210"
        assert current_request_id() == "0123456789abcdef"
    assert current_request_id() is None
