"""`intake tag`: tag JSON lines from stdin without touching any database."""

from __future__ import annotations

import io
import json
import sys
from typing import Any, TextIO

import click

from intake import pipeline
from intake.config import ConfigError, load_config
from intake.message import Answers, IncomingMessage
from intake.pipeline import Draft, PipelineContext, RejectedMessage, Taggers
from intake.pipeline.stages import themes
from intake.settings import models_dir_from_env


def describe(draft: Draft) -> dict[str, Any]:
    """The tags of a draft as plain JSON, the same shape `intake export` uses for tags."""
    language = next(iter(draft.tags_of("language")), None)

    def listed(kind: str) -> list[dict[str, Any]]:
        return [{"value": t.value, "code": t.code, "confidence": t.confidence,
                 "source": t.source, "evidence": t.evidence} for t in draft.tags_of(kind)]

    return {
        "language": {"code": language.value, "confidence": language.confidence,
                     "source": language.source} if language else None,
        "services": listed("service"),
        "needs": listed("need"),
        "flags": listed("flag"),
        "themes": listed("theme"),
        "redacted_text": draft.redacted_text,
    }


def tag_line(line: str, number: int, context: PipelineContext) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"not valid JSON ({exc.msg} at column {exc.colno})"}
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return {"line": number, "error": 'each line must be an object with a "text" string'}
    language = data.get("language")
    message = IncomingMessage(
        channel=str(data.get("channel") or "cli"), provider_message_id=f"line-{number}",
        text=data["text"], answers=Answers(language=language if isinstance(language, str) else None))
    try:
        return describe(pipeline.run(message, context))
    except RejectedMessage as exc:
        return {"line": number, "error": str(exc)}


def tag_stream(source: TextIO, sink: TextIO, context: PipelineContext) -> tuple[int, int]:
    """Write one JSON line per input line (blank lines skipped). Returns (tagged, errors)."""
    tagged = errors = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        result = tag_line(line, number, context)
        errors += "error" in result
        tagged += "error" not in result
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
    return tagged, errors


@click.command()
def tag() -> None:
    """Tag feedback read as JSON lines on stdin: {"text": ..., "channel"?: ..., "language"?: ...}.

    Writes one JSON line per input with language, services, needs (with SNOMED CT codes), safety
    flags, themes (when a theme model is trained) and redacted text. A line that cannot be read
    gets {"line": N, "error": ...} in its place.
    """
    try:
        config = load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    # The learned service and theme models, if `intake train ...` saved them: tags as stored
    # items get.
    models_dir = models_dir_from_env()
    context = PipelineContext.offline(config, Taggers(
        config, service_model_path=config.service_model.path_in(models_dir),
        theme_model_path=models_dir / themes.MODEL_FILE))
    # Bytes that are not UTF-8 become U+FFFD rather than stopping the whole run.
    source = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    tagged, errors = tag_stream(source, sys.stdout, context)
    if errors:
        click.echo(f"{tagged} tagged, {errors} could not be read (see the error lines).", err=True)
        sys.exit(1)
