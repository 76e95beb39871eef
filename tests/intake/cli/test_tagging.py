"""`intake tag`: reading JSON lines, the shape of each answer, errors in place of a line, and the
command's exit code and summary."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from intake import pipeline
from intake.cli import main
from intake.cli.tagging import describe, tag_line, tag_stream
from intake.message import IncomingMessage
from intake.pipeline import PipelineContext

NOT_AN_OBJECT = 'each line must be an object with a "text" string'


def tag(tmp_path: Path, stdin: str | bytes, **extra: str) -> Result:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
           "INTAKE_INSTANCE_PATH": str(tmp_path / "instance"), **extra}
    return CliRunner().invoke(main, ["tag"], input=stdin, env=env)


def lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- one line -----------------------------------------------------------------------------------

def test_a_line_gets_every_kind_of_tag_and_the_redacted_text(context: PipelineContext) -> None:
    result = tag_line(json.dumps({"text": "My GP never answers, ring me on 07700 900123"}), 1,
                      context)
    assert set(result) == {"language", "services", "needs", "flags", "themes", "redacted_text"}
    assert result["language"]["code"] == "en" and result["language"]["source"] == "auto"
    assert [s["value"] for s in result["services"]] == ["gp"]
    assert set(result["services"][0]) == {"value", "code", "confidence", "source", "evidence"}
    assert "07700 900123" not in result["redacted_text"]
    assert result["redacted_text"].startswith("My GP never answers")


@pytest.mark.parametrize(("line", "error"), [
    ("{", "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
    ("not json", "not valid JSON (Expecting value at column 1)"),
    ('"just a string"', NOT_AN_OBJECT),
    ('["text"]', NOT_AN_OBJECT),
    ("{}", NOT_AN_OBJECT),
    ('{"text": 42}', NOT_AN_OBJECT),
    ('{"text": null}', NOT_AN_OBJECT),
])
def test_a_line_that_cannot_be_read_is_an_error_with_its_number(
        context: PipelineContext, line: str, error: str) -> None:
    assert tag_line(line, 7, context) == {"line": 7, "error": error}


def test_a_line_the_pipeline_rejects_is_an_error_saying_why(context: PipelineContext) -> None:
    result = tag_line(json.dumps({"text": "   "}), 3, context)
    assert result["line"] == 3
    assert result["error"].startswith("The message has no words in it.")
    unknown = tag_line(json.dumps({"text": "Hello", "language": "xx"}), 4, context)
    assert unknown["line"] == 4 and "not one we support" in unknown["error"]


def test_a_chosen_language_is_the_contributors_and_a_non_string_one_is_ignored(
        context: PipelineContext) -> None:
    chosen = tag_line(json.dumps({"text": "My GP was kind", "language": "pl"}), 1, context)
    assert chosen["language"] == {"code": "pl", "confidence": 1.0, "source": "contributor"}
    ignored = tag_line(json.dumps({"text": "My GP was kind", "language": 5}), 1, context)
    assert ignored["language"]["code"] == "en" and ignored["language"]["source"] == "auto"


def test_describe_lists_tags_of_each_kind_as_export_shows_them(context: PipelineContext) -> None:
    draft = pipeline.run(IncomingMessage(
        "cli", "d-1", "My dad needs a British Sign Language interpreter at the hospital"), context)
    described = describe(draft)
    assert described["needs"] == [
        {"value": t.value, "code": t.code, "confidence": t.confidence, "source": t.source,
         "evidence": t.evidence} for t in draft.tags_of("need")]
    assert ("bsl-interpreter", "204331000000107") in {(n["value"], n["code"])
                                                      for n in described["needs"]}
    assert described["redacted_text"] == draft.redacted_text


# -- a stream of lines --------------------------------------------------------------------------

def test_blank_lines_are_skipped_but_still_counted_in_line_numbers(context: PipelineContext) -> None:
    source = io.StringIO("\n".join([json.dumps({"text": "My GP was kind"}), "", "   ", "oops",
                                    json.dumps({"text": "The pharmacy was shut"})]) + "\n")
    sink = io.StringIO()
    assert tag_stream(source, sink, context) == (2, 1)
    out = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert len(out) == 3
    assert out[1] == {"line": 4, "error": "not valid JSON (Expecting value at column 1)"}
    assert [s["value"] for s in out[2]["services"]] == ["pharmacy"]


def test_an_empty_stream_tags_nothing(context: PipelineContext) -> None:
    sink = io.StringIO()
    assert tag_stream(io.StringIO(""), sink, context) == (0, 0)
    assert sink.getvalue() == ""


def test_non_ascii_text_is_written_as_itself(context: PipelineContext) -> None:
    sink = io.StringIO()
    tag_stream(io.StringIO(json.dumps({"text": "Lekarz był bardzo miły"}) + "\n"), sink, context)
    assert "był bardzo miły" in sink.getvalue()


# -- the command --------------------------------------------------------------------------------

def test_when_every_line_is_read_the_exit_code_is_0_and_nothing_goes_to_stderr(
        tmp_path: Path) -> None:
    result = tag(tmp_path, json.dumps({"text": "My GP was kind"}) + "\n")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(lines(result)) == 1


def test_errors_are_summed_up_on_stderr_with_exit_code_1(tmp_path: Path) -> None:
    stdin = "\n".join([json.dumps({"text": "My GP was kind"}), "[]", "{"])
    result = tag(tmp_path, stdin)
    assert result.exit_code == 1
    assert result.stderr == "1 tagged, 2 could not be read (see the error lines).\n"
    assert [line.get("line") for line in lines(result)] == [None, 2, 3]


def test_bytes_that_are_not_utf8_do_not_stop_the_run(tmp_path: Path) -> None:
    stdin = b'{"text": "The GP was kind \xff\xfe"}\n' + json.dumps({"text": "Pharmacy"}).encode()
    result = tag(tmp_path, stdin)
    assert result.exit_code == 0
    first, second = lines(result)
    assert "\ufffd" in first["redacted_text"]
    assert [s["value"] for s in second["services"]] == ["pharmacy"]


def test_a_configuration_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    result = tag(tmp_path, json.dumps({"text": "hi"}),
                 INTAKE_CONFIG_DIR=str(tmp_path / "no-such-folder"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: INTAKE_CONFIG_DIR=")
    assert "no such directory" in result.output
    assert result.stdout == ""
