"""`intake benchmark tagging`: every tagger's accuracy and speed, printed, on real and made-up data.

Figures are measured side by side in one run (plain langdetect beside our detector), because
machines here are shared and noisy. The real corpora are read from ``--data`` (the shared folder
beside the project) and never copied into it; a missing file skips its section with a note.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import click

from intake.config import load_config
from intake.evaluation import language, services, synthetic
from intake.evaluation.metrics import percent
from intake.pipeline import PipelineContext, Taggers
from intake.pipeline.stages.service import infer

LANGUAGE_TARGETS = {"sentence": 0.99, "word_pair": 0.97, "word": 0.88}
SPEED_TARGET, MEMORY_TARGET_MB = 2000, 150


@click.group()
def benchmark() -> None:
    """Measure the taggers (prints figures; see docs/tagging.md)."""


@benchmark.command("tagging")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("../shared"), show_default=True,
              help="Folder holding langid/dev_cases.tsv and feedback_themes/v6_dev.csv.")
@click.option("--sample", type=int, default=None,
              help="Use only every Nth language case (a quicker, rougher run).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the figures as JSON.")
@click.option("--themes/--no-themes", default=True, show_default=True,
              help="Train and measure the theme models (two to four minutes).")
def tagging(data_dir: Path, sample: int | None, json_path: Path | None, themes: bool) -> None:
    """Accuracy, precision, recall, F1 and texts/second of every tagger."""
    config = load_config()
    taggers = Taggers(config)
    context = PipelineContext.offline(config, taggers)
    figures: dict[str, Any] = {"machine": machine()}
    click.echo(f"Machine: {figures['machine']}")
    figures["language"] = _language(data_dir / "langid" / "dev_cases.tsv", taggers, sample)
    figures["services"] = _services(data_dir / "feedback_themes" / "v6_dev.csv", taggers)
    if themes:
        figures["themes"] = _themes(data_dir / "feedback_themes")
    figures["needs_safety_privacy"] = _synthetic(context)
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2), "utf-8")
        click.echo(f"\nFigures written to {json_path}")


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def _language(path: Path, taggers: Taggers, sample: int | None) -> dict[str, Any]:
    click.echo("\n== Language ==")
    if not path.is_file():
        click.echo(f"skipped: {path} not found")
        return {}
    cases = language.read_cases(path)
    if sample:
        cases = cases[::sample]
    detector = taggers.language
    detector.detect("warm up the models")
    ours = language.measure("ours", language.ours(detector), cases)
    plain = language.measure("plain langdetect", language.plain_langdetect, cases)
    click.echo(f"{len(cases):,} cases from {path}")
    click.echo(f"{'kind':<10} {'ours':>7} {'langdetect':>11} {'target':>7}")
    for kind in (k for k in language.KINDS if k in ours.by_kind):  # a sample may lack a kind
        click.echo(f"{kind:<10} {percent(ours.by_kind[kind].accuracy):>7} "
                   f"{percent(plain.by_kind[kind].accuracy):>11} "
                   f"{percent(LANGUAGE_TARGETS[kind]):>7}")
    click.echo("\nours on each half (weights were tuned on the odd half):")
    for (half, kind), tally in sorted(ours.by_half.items()):
        click.echo(f"  {half:<16} {kind:<10} {percent(tally.accuracy)}")
    click.echo("\nper language (ours / langdetect), sentence | word pair | word:")
    for code in sorted({c.language for c in cases}):
        cells = " | ".join(
            f"{percent(ours.by_language[(code, k)].accuracy)} / "
            f"{percent(plain.by_language[(code, k)].accuracy)}"
            for k in language.KINDS if (code, k) in ours.by_language)
        click.echo(f"  {code:<3} {cells}")
    worst = sorted(ours.confusions.items(), key=lambda item: -item[1])[:10]
    click.echo("\nmost common mistakes (kind: truth -> answer, count): " + ", ".join(
        f"{kind}: {truth}->{answer} {count}" for (kind, truth, answer), count in worst))
    click.echo(f"\nspeed (one core, in process): ours {ours.texts_per_second:,.0f} texts/s, "
               f"plain langdetect {plain.texts_per_second:,.0f} texts/s "
               f"(x{ours.texts_per_second / plain.texts_per_second:.1f}); target {SPEED_TARGET:,}")
    memory = language.resident_memory(path)
    if memory:
        click.echo(f"memory (a fresh process, every case detected): resident "
                   f"{memory['resident_mb']:.0f} MB, peak {memory['peak_mb']:.0f} MB "
                   f"(Python and imports alone: {memory['before_mb']:.0f} MB); "
                   f"target < {MEMORY_TARGET_MB} MB")
    return {
        "cases": len(cases),
        "ours": {k: t.accuracy for k, t in ours.by_kind.items()},
        "langdetect": {k: t.accuracy for k, t in plain.by_kind.items()},
        "ours_by_half": {f"{h}/{k}": t.accuracy for (h, k), t in ours.by_half.items()},
        "per_language": {f"{c}/{k}": {"ours": t.accuracy,
                                      "langdetect": plain.by_language[(c, k)].accuracy}
                         for (c, k), t in ours.by_language.items()},
        "texts_per_second": {"ours": ours.texts_per_second, "langdetect": plain.texts_per_second},
        "memory_mb": memory,
    }


def _services(path: Path, taggers: Taggers) -> dict[str, Any]:
    click.echo("\n== Service ==")
    if not path.is_file():
        click.echo(f"skipped: {path} not found")
        return {}
    cases = services.read_cases(path)
    held_out = [case for case in cases if case.held_out]
    training = [case for case in cases if not case.held_out]

    def keywords(text: str) -> str | None:
        found = infer(text, taggers.services)
        return found[0].value if found else None

    results = [services.measure("keywords", keywords, held_out)]
    results.extend(_learned(training, held_out, keywords))
    click.echo(f"{len(cases):,} comments with a known service ({len(training):,} to train, "
               f"{len(held_out):,} held out) from {path}")
    click.echo(f"{'tagger':<22} {'precision':>9} {'coverage':>9} {'recall':>7} {'texts/s':>9}")
    for result in results:
        click.echo(f"{result.name:<22} {percent(result.precision):>9} {percent(result.coverage):>9} "
                   f"{percent(result.recall):>7} {result.texts_per_second:>9,.0f}")
    return {r.name: {"precision": r.precision, "coverage": r.coverage, "recall": r.recall,
                     "texts_per_second": r.texts_per_second} for r in results}


def _learned(training: list[services.ServiceCase], held_out: list[services.ServiceCase],
             keywords: Any) -> list[services.ServiceResult]:
    from intake.taggers.service_model import ServiceModel

    model = ServiceModel.train([c.text for c in training], [c.service for c in training])

    def learned(text: str) -> str | None:
        prediction = model.predict(text)
        return prediction.service if prediction else None

    def combined(text: str) -> str | None:
        return keywords(text) or learned(text)

    results = [services.measure(f"learned model @{model.min_confidence:.2f}", learned, held_out),
               services.measure("keywords, then model", combined, held_out)]
    # The confidence bar trades coverage for precision; show the curve the default sits on.
    default = model.min_confidence
    for bar in (0.5, 0.6, 0.8, 0.9):
        model.min_confidence = bar
        results.append(services.measure(f"learned model @{bar:.2f}", learned, held_out))
    model.min_confidence = default
    return results


def _themes(folder: Path) -> dict[str, Any]:
    from intake.evaluation.themes import evaluate_phase1, evaluate_themes

    click.echo("\n== Themes (NHS patient-experience framework) ==")
    v6, phase1 = folder / "v6_dev.csv", folder / "phase1_text_data.csv"
    figures: dict[str, Any] = {}
    if v6.is_file():
        result = evaluate_themes(v6)
        click.echo(f"framework v6, multi-label: {result.n_train:,} comments to train, "
                   f"{result.n_test:,} held out, {len(result.labels)} themes learned")
        click.echo(f"  macro F1 {result.macro_f1:.3f} (published anchor, v7 labels on hidden data: "
                   f"TF-IDF + SVC 0.64), micro F1 {result.micro_f1:.3f}, "
                   f"exact set {percent(result.exact_match).strip()}, "
                   f"{result.texts_per_second:,.0f} texts/s")
        best = sorted(result.per_label.items(), key=lambda item: -item[1].f1)
        click.echo("  best: " + ", ".join(f"{result.names.get(k, k)} {v.f1:.2f}" for k, v in best[:5]))
        click.echo("  worst: " + ", ".join(f"{result.names.get(k, k)} {v.f1:.2f}" for k, v in best[-5:]))
        figures["v6"] = {"macro_f1": result.macro_f1, "micro_f1": result.micro_f1,
                         "exact": result.exact_match, "n_train": result.n_train,
                         "n_test": result.n_test, "texts_per_second": result.texts_per_second}
    else:
        click.echo(f"skipped: {v6} not found")
    if phase1.is_file():
        first = evaluate_phase1(phase1)
        click.echo(f"phase 1, single label, 9 categories: macro F1 {first.macro_f1:.3f}")
        figures["phase1"] = {"macro_f1": first.macro_f1}
    return figures


def _synthetic(context: PipelineContext) -> dict[str, Any]:
    click.echo("\n== Needs, safety, privacy (synthetic cases in intake/evaluation/cases) ==")
    synthetic.warm_up(context)
    results = [synthetic.measure_tags("needs", "need", "needs.tsv", context),
               synthetic.measure_tags("safety", "flag", "safety.tsv", context),
               synthetic.measure_privacy(context)]
    click.echo(f"{'tagger':<8} {'cases':>5} {'exact':>7} {'precision':>9} {'recall':>7} {'F1':>7} "
               f"{'texts/s':>8}")
    for result in results:
        overall = result.report.overall
        click.echo(f"{result.name:<8} {result.report.exact.total:>5} "
                   f"{percent(result.report.exact.accuracy):>7} {percent(overall.precision):>9} "
                   f"{percent(overall.recall):>7} {percent(overall.f1):>7} "
                   f"{result.texts_per_second:>8,.0f}")
        for miss in result.misses:
            click.echo(f"    miss: {miss}")
    return {r.name: {"cases": r.report.exact.total, "exact": r.report.exact.accuracy,
                     "precision": r.report.overall.precision, "recall": r.report.overall.recall,
                     "f1": r.report.overall.f1, "texts_per_second": r.texts_per_second,
                     "misses": r.misses} for r in results}
