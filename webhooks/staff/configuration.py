"""The configuration files, for admins: what is loaded from where, and a checked editor.

The rules (which files, how a candidate is checked, how it is saved) live in
``intake.config.editing``; these views read the form, call it and show what it says. A saved file
takes effect when the service restarts: nothing here reloads the running configuration.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, flash, redirect, render_template, request, url_for

from bot.script import load_script
from intake.config import CONFIG_DIR_VARIABLE, Config, editing
from intake.staff.permissions import Action
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint


def _override_dir() -> Path | None:
    return editing.override_directory()


def _can_save(override_dir: Path | None) -> bool:
    return override_dir is not None and override_dir.is_dir()


def _conversation_check(override_dir: Path | None) -> editing.ExtraCheck:
    """Start-up also checks the conversation's prompts against languages.toml (create_app)."""
    def check(config: Config) -> None:
        load_script(override_dir, configured_languages=config.language_codes)
    return check


@blueprint.route("/configuration")
@requires(Action.MANAGE_CONFIGURATION)
def configuration() -> str:
    override_dir = _override_dir()
    files = editing.describe(override_dir, current_runtime().config)
    return render_template("staff/configuration.html", title="Configuration", files=files,
                           override_dir=override_dir, can_save=_can_save(override_dir),
                           variable=CONFIG_DIR_VARIABLE)


@blueprint.route("/configuration/<name>", methods=["GET", "POST"])
@requires(Action.MANAGE_CONFIGURATION)
def configuration_file(name: str) -> Response | tuple[str, int] | str:
    if name not in editing.FILES:
        abort(404)
    override_dir = _override_dir()
    if request.method == "GET":
        text = editing.current_text(name, override_dir)
        return _editor(name, text, based_on=editing.sha256(text), override_dir=override_dir)
    text = editing.normalise(request.form.get("toml", ""))
    based_on = request.form.get("based_on") or None
    checks = [_conversation_check(override_dir)]
    if request.form.get("action") != "save":
        problems = editing.validate(name, text, override_dir, checks)
        return _editor(name, text, based_on, override_dir, problems=problems, checked=True)
    runtime, who = current_runtime(), principal()
    now = runtime.intake.clock()
    try:
        saved = editing.save(name, text, override_dir, now, based_on=based_on, extra_checks=checks)
    except editing.InvalidConfiguration as exc:
        return _editor(name, text, based_on, override_dir, problems=exc.problems)
    except editing.EditingError as exc:
        return _editor(name, text, based_on, override_dir, problems=[str(exc)])
    with runtime.sessions() as db:
        editing.record_change(db, saved, who.actor, now)
        db.commit()
    kept = f" The previous version is kept as {saved.backup.name}." if saved.backup else ""
    flash(f"Saved {name} in {saved.path.parent}.{kept} The change takes effect when the service "
          "restarts; until then it keeps using the configuration it started with.")
    return redirect(url_for("staff.configuration_file", name=name))  # type: ignore[return-value]


def _editor(name: str, text: str, based_on: str | None, override_dir: Path | None, *,
            problems: list[str] | None = None, checked: bool = False) -> tuple[str, int] | str:
    problems = problems or []
    source = editing.locate(name, override_dir)
    page = render_template(
        "staff/configuration_file.html", title=name, name=name, text=text, based_on=based_on,
        source=source, overridden=source.parent == override_dir, override_dir=override_dir,
        can_save=_can_save(override_dir), variable=CONFIG_DIR_VARIABLE, problems=problems,
        errors=problems, checked=checked)
    return (page, 400) if problems else page
