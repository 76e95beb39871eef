"""`intake train themes`: learn the theme model from comments labelled with the NHS
patient-experience framework, show how well it does on comments it never saw, then save it.

The labelled files are read from where they are (the shared folder beside the project) and never
copied; the saved model holds vocabulary and weights only, in the models directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from intake.pipeline.stages.themes import MODEL_FILE
from intake.settings import models_dir_from_env

if TYPE_CHECKING:
    from intake.evaluation.themes import LabelFigures, Phase1Evaluation, ThemeEvaluation

NAME_WIDTH = 52
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("themes")
@click.option("--data", "data_path", type=EXISTING_FILE, required=True,
              help="Framework v6 labelled comments, e.g. ../shared/feedback_themes/v6_dev.csv.")
@click.option("--phase1", "phase1_path", type=EXISTING_FILE,
              help="Phase-1 comments (9 major categories) to measure the same method on too.")
@click.option("--framework", "framework_path", type=EXISTING_FILE,
              help="Framework v7 descriptions and examples [default: framework_v7_20230925.csv "
                   "beside --data, if there].")
@click.option("--min-examples", type=click.IntRange(min=2), metavar="N",
              help="Learn only themes with at least N labelled comments [default: 10].")
@click.option("--dry-run", is_flag=True, help="Show the held-out figures; save nothing.")
def themes(data_path: Path, phase1_path: Path | None, framework_path: Path | None,
           min_examples: int | None, dry_run: bool) -> None:
    """Learn the theme model from framework v6 labelled comments.

    First trains on a fixed four-fifths of the comments and prints precision, recall and F1 on the
    other fifth, then trains on all of them and saves the model where the pipeline reads it.
    With --phase1, also prints the same method's held-out figures on the phase-1 categories (a
    different, older taxonomy: measured for comparison, not saved).
    """
    # Imported here: scikit-learn takes seconds to load, and every other command does without it.
    from dataclasses import replace

    from intake.evaluation import themes as evaluation
    from intake.taggers.themes import ThemeModelError, ThemeSettings

    settings = ThemeSettings()
    if min_examples is not None:
        settings = replace(settings, min_examples=min_examples)
    try:
        corpus = evaluation.read_v6(data_path)
        framework_path = framework_path or evaluation.framework_beside(data_path)
        framework = (evaluation.read_framework(framework_path, corpus.names.values())
                     if framework_path else None)
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{exc} Check the file given and try again.") from exc
    click.echo(f"{len(corpus.cases):,} comments from {data_path} ({corpus.unlabellable:,} left out: "
               f"blank or 'Labelling not possible'; {corpus.no_theme:,} with no theme).")
    click.echo(f"Framework examples and descriptions: {framework_path or 'none'}"
               + (f" ({len(framework.examples)} examples)" if framework else ""))

    try:
        held_out = evaluation.evaluate(corpus, framework, settings)
        _show_held_out(held_out)
        if phase1_path is not None:
            _show_phase1(evaluation.evaluate_phase1(phase1_path, settings), phase1_path)
        if dry_run:
            click.echo("\nDry run: nothing saved.")
            return
        click.echo("\nTraining on all comments...")
        model = evaluation.train(corpus.cases, framework, settings, names=corpus.names)
    except ThemeModelError as exc:
        raise click.ClickException(str(exc)) from exc
    path = models_dir_from_env() / MODEL_FILE
    model.save(path)
    click.echo(f"Saved to {path} ({path.stat().st_size / 1e6:.1f} MB): {len(model.labels)} themes, "
               f"regularisation {model.metadata['regularisation']}. The pipeline tags new items "
               "with it; `intake reprocess` applies it to stored ones.")


def _show_held_out(figures: ThemeEvaluation) -> None:
    click.echo(f"\nHeld out: trained on {figures.n_train:,} comments, scored on {figures.n_test:,} "
               f"(fixed split by Comment ID) in {figures.training_seconds:.0f} s.")
    click.echo(f"  macro F1 {figures.macro_f1:.3f} over {len(figures.labels)} learned themes "
               f"(cross-validated on the training part: {figures.cross_validated_macro_f1:.3f})")
    click.echo(f"  micro F1 {figures.micro_f1:.3f} (precision {figures.micro_precision:.3f}, "
               f"recall {figures.micro_recall:.3f}); exact set {figures.exact_match:.1%}; "
               f"{figures.texts_per_second:,.0f} texts/s")
    if figures.not_learned:
        click.echo(f"  not learned (too few examples): {len(figures.not_learned)} themes, "
                   f"{figures.unlearned_in_test} label(s) in the held-out part")
    _show_labels(figures.per_label, figures.names)


def _show_phase1(figures: Phase1Evaluation, path: Path) -> None:
    click.echo(f"\nPhase 1 ({path}), the most probable of {len(figures.labels)} categories: "
               f"trained on {figures.n_train:,}, scored on {figures.n_test:,}.")
    click.echo(f"  macro F1 {figures.macro_f1:.3f}, accuracy {figures.accuracy:.1%}")
    _show_labels(figures.per_label, {})


def _show_labels(per_label: dict[str, LabelFigures], names: dict[str, str]) -> None:
    click.echo(f"  {'theme':<{NAME_WIDTH}} {'prec':>5} {'recall':>6} {'F1':>5} {'n':>4}")
    for label, f in sorted(per_label.items(), key=lambda item: (-item[1].f1, item[0])):
        name = names.get(label, label)[:NAME_WIDTH]
        click.echo(f"  {name:<{NAME_WIDTH}} {f.precision:5.2f} {f.recall:6.2f} {f.f1:5.2f} {f.support:>4}")
