"""`intake reprocess`: complete failed messages, or re-run tagging on stored feedback."""

from __future__ import annotations

import click

from intake.cli.runtime import open_runtime
from intake.storage.models import InboundState


@click.command()
@click.option("--failed", is_flag=True,
              help="Process inbound messages that failed or were left unprocessed.")
@click.option("--include-rejected", is_flag=True,
              help="With --failed: also retry messages rejected earlier (after a config change).")
def reprocess(failed: bool, include_rejected: bool) -> None:
    """Re-run the taggers and routing on stored feedback (tags set by people are kept).

    With --failed, finish inbound messages that never became feedback instead.
    """
    with open_runtime() as runtime:
        if not failed:
            summary = runtime.intake.retag()
            click.echo(f"Re-tagged {summary.items} item(s): {summary.added} tag(s) added, "
                       f"{summary.retracted} superseded.")
            if summary.skipped:
                click.echo(f"{summary.skipped} item(s) skipped: their answers no longer fit the "
                           "configuration (see the log).", err=True)
            return
        pending = runtime.intake.pending_inbound(include_rejected=include_rejected)
        outcomes = [runtime.intake.retry(inbound_id) for inbound_id in pending]
        done = [o for o in outcomes if o.state == InboundState.PROCESSED]
        still = [o for o in outcomes if o.state != InboundState.PROCESSED]
        for outcome in done:
            click.echo(f"inbound #{outcome.inbound_id}: stored as {outcome.reference}")
        for outcome in still:
            click.echo(f"inbound #{outcome.inbound_id}: {outcome.state}: {outcome.error}", err=True)
        click.echo(f"{len(done)} completed, {len(still)} still failing.")
        if still:
            raise SystemExit(1)
