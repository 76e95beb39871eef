"""`intake worker`: send the outbox and run the periodic jobs channels register.

Channels add themselves through entry points, so the core never imports a provider SDK:
``intake.senders`` (a factory taking the runtime and returning a Sender, or None when the channel
is not configured) and ``intake.periodic`` (a callable taking the runtime, run every cycle).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from importlib.metadata import entry_points

import click

from intake.bootstrap import Runtime
from intake.campaigns import send_checks
from intake.cli.runtime import open_runtime
from intake.heap import release_freed_memory
from intake.ingest import QUEUE_BATCH
from intake.outbox import DeliveryReport, OutboxWorker, Sender

log = logging.getLogger(__name__)
# Queued messages tagged per cycle at most (a few seconds' work): under a flood of feedback the
# outbox is still sent and idle conversations still closed between them.
TAG_PER_CYCLE = 200


def load_senders(runtime: Runtime) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    for plugin in entry_points(group="intake.senders"):
        sender = plugin.load()(runtime)
        if sender is not None:
            senders[sender.channel] = sender
    return senders


def run_cycle(runtime: Runtime, worker: OutboxWorker) -> tuple[int, DeliveryReport]:
    """One cycle: the periodic jobs, tagging what is queued, sending; (messages tagged, what
    was sent)."""
    for plugin in entry_points(group="intake.periodic"):
        plugin.load()(runtime)
    tagged = tag_queued(runtime, TAG_PER_CYCLE)
    report = worker.run_once()
    release_freed_memory()  # what building the taggers (first closed conversation) freed
    return tagged, report


def tag_queued(runtime: Runtime, most: int) -> int:
    """Tag and route the messages queued for the worker (INTAKE_TAGGING=worker, and
    conversations the periodic jobs just closed), oldest first, up to ``most``; how many were
    processed. Runs whatever the setting, so switching it back to inline leaves nothing behind."""
    done = 0
    while done < most and (batch := runtime.intake.process_queued(
            min(QUEUE_BATCH, most - done))):
        done += len(batch)
    return done


def describe(report: DeliveryReport) -> str:
    return (f"sent {report.sent}, retrying {report.retried}, failed {report.failed}, "
            f"cancelled {report.cancelled}"
            + (f", waiting {report.deferred}" if report.deferred else ""))


def make_worker(runtime: Runtime, senders: dict[str, Sender]) -> OutboxWorker:
    """The outbox worker with the checks every message passes just before it is sent
    (campaign messages: quiet hours, opt-outs on any channel, consent still given)."""
    return OutboxWorker(runtime.sessions, runtime.settings.vault(), senders, runtime.intake.clock,
                        checks=send_checks(runtime.config))


@click.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit (for cron or tests).")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between cycles.")
def worker(once: bool, interval: float) -> None:
    """Send queued messages (with retries and back-off), close idle conversations and tag the
    feedback queued for it (INTAKE_TAGGING=worker).

    With --once, a summary for the person (or cron job) that ran it. As a service, log lines
    (JSON in production): what it sends on, then a line for each cycle that did something."""
    with open_runtime() as runtime:
        senders = load_senders(runtime)
        channels = ", ".join(sorted(senders)) or "no channel is configured"
        outbox = make_worker(runtime, senders)
        if once:
            click.echo(f"Sending on: {channels}.")
            tagged, report = run_cycle(runtime, outbox)
            if tagged:
                click.echo(f"Tagged {tagged} queued message(s).")
            click.echo(describe(report))
            return
        log.info("worker started; sending on: %s", channels, extra={"channels": sorted(senders)})
        while True:
            tagged, report = run_cycle(runtime, outbox)
            if tagged:
                log.info("tagged %d queued message(s)", tagged, extra={"tagged": tagged})
            if report != DeliveryReport():
                log.info(describe(report), extra=asdict(report))
            if tagged < TAG_PER_CYCLE:  # else more is waiting: the next cycle starts at once
                time.sleep(interval)
