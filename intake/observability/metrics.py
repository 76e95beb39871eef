"""The service's Prometheus metrics, and their text exposition for ``GET /metrics``.

gunicorn runs several worker processes. With ``PROMETHEUS_MULTIPROC_DIR`` set before this module
is first imported (``deploy/gunicorn.conf.py`` sees to it), every process writes its counts to a
file there and a scrape sums them, so the figures are the service's whatever worker answers.
Without it (``intake serve``, tests) the counts are this process's own.

Counts of things the web app does live here; figures that live in the database (the outbox
backlog, failures) are read from it at scrape time by :mod:`intake.observability.database`,
so they are right whichever process sent or failed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
if os.environ.get(MULTIPROCESS_VARIABLE):
    # A process started with the setting but not by gunicorn (a command, the worker) writes its
    # counts there too; the directory must exist before the first count.
    os.makedirs(os.environ[MULTIPROCESS_VARIABLE], exist_ok=True)
# No *_created series (a start time per label set): noise, and absent in multiprocess mode anyway.
disable_created_metrics()

# Labels are always from short, fixed sets (channel names, stage names, route names, states):
# never a sender, a text, an id or a path with an id in it.
MESSAGES_RECEIVED = Counter(
    "intake_messages_received",
    "Messages that reached the inbox, by channel. duplicate=\"true\": a provider delivered a "
    "message again (answered as the first time, stored once).",
    ["channel", "duplicate"])
MESSAGES_FINISHED = Counter(
    "intake_messages_finished",
    "Inbox messages that reached a final state, by channel: processed (became feedback), "
    "rejected (can never be feedback: too long, empty), ignored (a keyword, a robot's form), "
    "failed (an error; `intake reprocess --failed` completes them).",
    ["channel", "state"])
STAGE_SECONDS = Histogram(
    "intake_pipeline_stage_seconds",
    "Time each pipeline stage took over one message.",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
HTTP_REQUESTS = Counter(
    "intake_http_requests",
    "Web requests answered, by route (Flask endpoint; \"none\" when no route matched), method "
    "and status code.",
    ["endpoint", "method", "status"])
HTTP_SECONDS = Histogram(
    "intake_http_request_duration_seconds",
    "Time the app took to answer a web request, by route.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0))


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


class _ThisProcess:
    """This process's own metrics (and its process and Python collectors), when there is only
    one process to report."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text format of every metric: the web app's counts (summed over gunicorn's workers
    in multiprocess mode) and whatever ``extra`` collectors read now."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_directory()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
