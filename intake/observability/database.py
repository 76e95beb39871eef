"""Figures that live in the database, read when Prometheus scrapes: the outbox backlog, messages
a dead worker left sending, failures. Read at scrape time, they are right whichever process (a
web worker, `intake worker` on another machine) queued, sent or failed a message.

Every query is a count over indexed state columns of the rows still waiting or failed, never
over all feedback; a database that does not answer is ``intake_database_up 0``, not an error
page, so the scrape itself shows the outage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from intake import __version__
from intake.outbox import STUCK_AFTER
from intake.storage.models import InboundMessage, InboundState, OutboundMessage, OutboundStatus

# The outbox states worth watching: waiting (queued, sending) and failed for good.
OUTBOX_STATES = (OutboundStatus.QUEUED, OutboundStatus.SENDING, OutboundStatus.FAILED)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class DatabaseCollector:
    """A prometheus-client collector over the service's database. ``channels`` are the outbox
    channels to report even when nothing waits on them (a series at 0, not a missing one)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime],
                 channels: Iterable[str] = (), pipeline_version: str = "") -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = tuple(channels)
        self.pipeline_version = pipeline_version

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("intake_build_info", "The running version (always 1).",
                                 labels=["version", "pipeline"])
        info.add_metric([__version__, self.pipeline_version], 1)
        yield info
        up = GaugeMetricFamily("intake_database_up",
                               "1 when the database answered this scrape, 0 when it did not.")
        try:
            figures = list(self._read())
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _read(self) -> Iterator[Metric]:
        now = self.clock()
        with self.sessions() as session:
            by_state = session.execute(
                select(OutboundMessage.channel, OutboundMessage.status, func.count())
                .where(OutboundMessage.status.in_([str(s) for s in OUTBOX_STATES]))
                .group_by(OutboundMessage.channel, OutboundMessage.status)).all()
            oldest_due = session.execute(
                select(OutboundMessage.channel, func.min(OutboundMessage.next_attempt_at))
                .where(OutboundMessage.status == OutboundStatus.QUEUED,
                       OutboundMessage.next_attempt_at <= now)
                .group_by(OutboundMessage.channel)).all()
            stuck = session.execute(
                select(OutboundMessage.channel, func.count())
                .where(OutboundMessage.status == OutboundStatus.SENDING,
                       OutboundMessage.updated_at <= now - STUCK_AFTER)
                .group_by(OutboundMessage.channel)).all()
            inbound = session.execute(
                select(InboundMessage.channel, InboundMessage.state, func.count())
                .where(InboundMessage.state.in_([InboundState.FAILED, InboundState.QUEUED]))
                .group_by(InboundMessage.channel, InboundMessage.state)).all()
        channels = sorted({*self.channels, *(row[0] for row in by_state), *(row[0] for row in stuck),
                           *(row[0] for row in oldest_due)})

        outbox = GaugeMetricFamily(
            "intake_outbox_messages",
            "Outbox messages by channel and status: queued (waiting to be sent, or for a retry), "
            "sending (claimed by a worker), failed (given up: the provider refused, or retries ran "
            "out).", labels=["channel", "status"])
        counts = {(channel, status): count for channel, status, count in by_state}
        for channel in channels:
            for status in OUTBOX_STATES:
                outbox.add_metric([channel, str(status)], counts.get((channel, str(status)), 0))
        yield outbox

        waiting = GaugeMetricFamily(
            "intake_outbox_oldest_due_seconds",
            "How long the message that has waited longest past its send time has waited, by "
            "channel (0 when none is due). Growing means no `intake worker` is sending.",
            labels=["channel"])
        due = {channel: _aware(moment) for channel, moment in oldest_due if moment is not None}
        for channel in channels:
            age = (_aware(now) - due[channel]).total_seconds() if channel in due else 0.0
            waiting.add_metric([channel], max(age, 0.0))
        yield waiting

        stuck_family = GaugeMetricFamily(
            "intake_outbox_stuck_messages",
            f"Messages left 'sending' for over {int(STUCK_AFTER.total_seconds() // 60)} minutes: a "
            "worker died while sending. `intake outbox stuck` lists them for a person to resolve.",
            labels=["channel"])
        stuck_counts = dict(stuck)
        for channel in channels:
            stuck_family.add_metric([channel], stuck_counts.get(channel, 0))
        yield stuck_family

        failed = GaugeMetricFamily(
            "intake_inbound_failed_messages",
            "Inbox messages whose processing failed, by channel; `intake reprocess --failed` "
            "completes them.", labels=["channel"])
        queued = GaugeMetricFamily(
            "intake_inbound_queued_messages",
            "Inbox messages waiting for `intake worker` to tag them (INTAKE_TAGGING=worker), by "
            "channel. Growing means no worker is running, or it cannot keep up.",
            labels=["channel"])
        for channel, state, count in inbound:
            (failed if state == InboundState.FAILED else queued).add_metric([channel], count)
        yield failed
        yield queued
