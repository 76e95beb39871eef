"""`intake train services`: learn the service model from the services staff confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError

from intake.cli import train_themes
from intake.cli.runtime import cli_actor, open_runtime
from intake.config.schema import ServiceModelSettings
from intake.pipeline.stages.service import NEVER_INFERRED

if TYPE_CHECKING:
    from intake.taggers.service_model_evaluation import Evaluation

NAME_WIDTH = 28


@click.group()
def train() -> None:
    """Learn taggers from the tags staff confirmed."""


@train.command()
@click.option("--min-examples", type=int, metavar="N",
              help="Examples needed in all (default: min_examples in pipeline.toml).")
@click.option("--dry-run", is_flag=True,
              help="Show the counts and the cross-validated figures; save nothing.")
def services(min_examples: int | None, dry_run: bool) -> None:
    """Learn the service model from staff-confirmed service tags.

    Prints the examples per service and the precision and coverage of 5-fold cross-validation at
    the confidence bar, then saves the model where the pipeline reads it. The pipeline asks it
    only about items no keyword tags, and it tags nothing it is unsure of.
    """
    # Imported here: scikit-learn takes seconds to load, and every other command does without it.
    from intake.service_training import (
        confirmed_examples,
        save_service_model,
        train_service_model,
    )
    from intake.taggers.service_model import ServiceModelError

    with open_runtime() as runtime:
        config = runtime.config
        settings = _settings(config.service_model, min_examples)
        with runtime.sessions() as session:
            examples = confirmed_examples(session, config)
        click.echo(f"Staff-confirmed services: {len(examples.labels)} example(s) on "
                   f"{len(set(examples.items))} item(s).")
        _show_counts(examples.counts, settings)
        for service, count in sorted(examples.unknown_services.items()):
            click.echo(f"Left out: {count} tag(s) for {service!r}, no longer in services.toml.")
        if examples.blank_items:
            click.echo(f"Left out: {examples.blank_items} item(s) with no text.")
        now = runtime.intake.clock()
        try:
            trained = train_service_model(examples, settings, runtime.intake.taggers.services, now)
        except ServiceModelError as exc:  # NotEnoughData above all: it says how many more
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Cross-validated over {trained.evaluation.folds} folds, tagging only at a "
                   f"probability of {settings.min_confidence:.2f} or more:")
        click.echo(_figures(f"all {trained.evaluation.items} item(s)", trained.evaluation))
        click.echo(_figures(f"the {trained.unmatched.items} item(s) no keyword tags (its job)",
                            trained.unmatched))
        if dry_run:
            click.echo("Dry run: nothing saved.")
            return
        path = settings.path_in(runtime.settings.models_dir)
        with runtime.sessions.begin() as session:
            save_service_model(session, trained, path, cli_actor(), now)
        click.echo(f"Saved to {path}. The pipeline uses it for new items that no keyword tags; "
                   "`intake reprocess` applies it to stored ones.")


def _settings(configured: ServiceModelSettings, min_examples: int | None) -> ServiceModelSettings:
    if min_examples is None:
        return configured
    try:
        return ServiceModelSettings.model_validate(
            {**configured.model_dump(), "min_examples": min_examples})
    except ValidationError as exc:
        raise click.BadParameter(exc.errors()[0]["msg"], param_hint="--min-examples") from exc


def _show_counts(counts: Mapping[str, int], settings: ServiceModelSettings) -> None:
    per = settings.min_examples_per_service
    for service, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if service in NEVER_INFERRED:
            status = "never tagged: teaches the model when to abstain"
        elif count >= per:
            status = "learned"
        else:
            status = f"not learned: {per - count} more needed"
        click.echo(f"  {service:<{NAME_WIDTH}} {count:>6}  {status}")


def _figures(label: str, evaluation: Evaluation) -> str:
    precision = "n/a (none tagged)" if evaluation.precision is None else f"{evaluation.precision:.1%}"
    return f"  {label:<50} precision {precision}, coverage {evaluation.coverage:.1%}"


# The theme model is trained from labelled files, not the database: its command lives apart.
train.add_command(train_themes.themes)
