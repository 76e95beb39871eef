"""webhooks.staff.queue_links: links to the queue (filtered), to one item and to other parts of
the workspace, made only when those pages are installed (None otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import BuildError

from intake.bootstrap import build_runtime
from intake.config import Config
from intake.settings import Settings
from tests.conftest import settings_env
from webhooks import create_app
from webhooks.staff.queue_links import item_link, link_if, queue_link


@pytest.fixture(scope="module")
def workspace(config: Config, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app on a database it never opens: making links reads no records."""
    instance = tmp_path_factory.mktemp("queue-links")
    settings = Settings.from_env(settings_env(f"sqlite:///{instance / 'unused.sqlite3'}", instance))
    return create_app({"TESTING": True}, runtime=build_runtime(settings=settings, config=config))


@pytest.fixture
def request_context(workspace: Flask) -> Iterator[Flask]:
    with workspace.test_request_context("/staff/tracker/1"):
        yield workspace


def test_the_queue_unfiltered(request_context: Flask) -> None:
    assert queue_link() == "/staff/queue"


def test_the_queue_filtered_leaves_out_empty_filters(request_context: Flask) -> None:
    link = queue_link(service="gp", tracker=12, status=None, q="", language="pl")
    assert link is not None
    parts = urlsplit(link)
    assert parts.path == "/staff/queue"
    assert parse_qs(parts.query, keep_blank_values=True) == {
        "service": ["gp"], "tracker": ["12"], "language": ["pl"]}


def test_filter_values_are_encoded(request_context: Flask) -> None:
    link = queue_link(q="waiting & pain = 100%", consultation="maternity-2026")
    assert link is not None and " " not in link and "&pain" not in link
    assert parse_qs(urlsplit(link).query) == {"q": ["waiting & pain = 100%"],
                                              "consultation": ["maternity-2026"]}


def test_only_none_and_empty_text_are_left_out(request_context: Flask) -> None:
    link = queue_link(tracker=0, flag=" ")
    assert link is not None and parse_qs(urlsplit(link).query, keep_blank_values=True) == {
        "tracker": ["0"], "flag": [" "]}


def test_an_item_links_to_its_page(request_context: Flask) -> None:
    assert item_link("FB-7K3M9Q") == "/staff/feedback/FB-7K3M9Q"


def test_another_installed_part_is_linked(request_context: Flask) -> None:
    assert link_if("staff.tracker_item", item_id=3) == "/staff/tracker/3"
    assert link_if("staff.consultation", slug="maternity-2026") == "/staff/consultations/maternity-2026"


def test_a_part_not_installed_is_none_whatever_the_values(request_context: Flask) -> None:
    assert link_if("staff.campaign_dashboard", campaign_id=4) is None
    assert link_if("nowhere") is None


def test_a_missing_value_for_an_installed_page_is_not_hidden(request_context: Flask) -> None:
    with pytest.raises(BuildError):
        link_if("staff.tracker_item")


def test_without_the_queue_or_item_pages_there_are_no_links(
        workspace: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(workspace.view_functions, "staff.queue")
    monkeypatch.delitem(workspace.view_functions, "staff.item")
    with workspace.test_request_context("/staff/tracker/1"):
        assert queue_link(service="gp") is None
        assert item_link("FB-7K3M9Q") is None
        assert link_if("staff.tracker_item", item_id=3) == "/staff/tracker/3"
