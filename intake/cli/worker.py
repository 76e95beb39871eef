"""`intake worker`: send the outbox and run the periodic jobs channels register.

Channels add themselves through entry points, so the core never imports a provider SDK:
``intake.senders`` (a factory taking the runtime and returning a Sender, or None when the channel
is not configured) and ``intake.periodic`` (a callable taking the runtime, run every cycle).
"""

from __future__ import annotations

import time
from importlib.metadata import entry_points

import click

from intake.bootstrap import Runtime
from intake.campaigns import send_checks
from intake.cli.runtime import open_runtime
from intake.outbox import OutboxWorker, Sender


def load_senders(runtime: Runtime) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    for plugin in entry_points(group="intake.senders"):
        sender = plugin.load()(runtime)
        if sender is not None:
            senders[sender.channel] = sender
    return senders


def run_cycle(runtime: Runtime, worker: OutboxWorker) -> str:
    for plugin in entry_points(group="intake.periodic"):
        plugin.load()(runtime)
    report = worker.run_once()
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
    """Send queued messages (with retries and back-off) and close idle conversations."""
    with open_runtime() as runtime:
        senders = load_senders(runtime)
        click.echo(f"Sending on: {', '.join(sorted(senders)) or 'no channel is configured'}.")
        outbox = make_worker(runtime, senders)
        while True:
            click.echo(run_cycle(runtime, outbox))
            if once:
                return
            time.sleep(interval)
