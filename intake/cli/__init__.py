"""The `intake` command. Each command is a small module; channel packages add their own commands
(``intake serve`` comes from ``webhooks``) through the ``intake.commands`` entry point group, so
the core never imports them."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from intake import __version__
from intake.cli import (
    database,
    exporting,
    keys,
    reply,
    reprocessing,
    seeding,
    submitting,
    tagging,
    worker,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intake")
def main() -> None:
    """Involve Intake: patient and carer feedback from SMS, Telegram and web forms."""


for command in (database.db, seeding.seed_demo, tagging.tag, submitting.submit, exporting.export,
                reprocessing.reprocess, keys.keys, worker.worker, reply.reply):
    main.add_command(command)

for plugin in entry_points(group="intake.commands"):
    main.add_command(plugin.load(), plugin.name)
