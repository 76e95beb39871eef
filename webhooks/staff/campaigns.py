"""Campaign pages: invite people to a consultation, or tell them what changed ("you said, we did").

Each is three steps: write the text (one per language), check the preview (who gets what, who is
left out and why), confirm. Nothing is queued before the confirmation, and the confirmation is
refused if the audience changed since the preview. The rules live in ``intake.campaigns``; these
views read forms and show what it says. Reviewers and admins only (``Action.SEND_CAMPAIGN``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from intake import campaigns
from intake.campaigns import AudienceChanged, CampaignError, CampaignTextError, Filters, Preview, Target
from intake.campaigns.quiet_hours import QuietHours
from intake.config import Config
from intake.staff.dates import show_moment
from intake.staff.labels import Labels
from intake.staff.permissions import Action
from intake.storage.models import Campaign, CampaignKind, Consultation, OutboundMessage, TrackerItem
from webhooks.runtime import current_runtime
from webhooks.sms.segments import count_segments
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint

# How many pseudonyms each reason lists before "and N more".
LISTED = 100


@dataclass(frozen=True)
class Flow:
    """One campaign's pages: what it is about, and where its steps live."""

    kind: CampaignKind
    target: Target
    subject: str                  # the consultation's or tracker item's title
    endpoint: str                 # prefix of its endpoints: "staff.invite", "staff.you_said_we_did"
    values: dict[str, Any]        # the URL's values: {"slug": ...} or {"item_id": ...}
    back: str | None              # the consultation's or item's own page, when it exists

    def url(self, step: str = "", **more: Any) -> str:
        return url_for(self.endpoint + (f"_{step}" if step else ""), **self.values, **more)

    @property
    def heading(self) -> str:
        return ("Invite people to have their say" if self.kind == CampaignKind.INVITATION
                else "Tell people what changed")


def _existing_page(path: str) -> str | None:
    """``path`` if this app has a page there (the tracker and consultation pages are built by
    other modules, which may not be installed)."""
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return request.script_root + path


def _invitation(db: Session, slug: str) -> Flow:
    consultation = db.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        abort(404)
    return Flow(CampaignKind.INVITATION, Target.invitation(consultation), consultation.title,
                "staff.invite", {"slug": slug}, _existing_page(f"/staff/consultations/{slug}"))


def _you_said_we_did(db: Session, item_id: int) -> Flow:
    item = db.get(TrackerItem, item_id)
    if item is None:
        abort(404)
    return Flow(CampaignKind.YOU_SAID_WE_DID, Target.you_said_we_did(item), item.title,
                "staff.you_said_we_did", {"item_id": item_id},
                _existing_page(f"/staff/tracker/{item_id}"))


def _default_texts(flow: Flow, config: Config) -> dict[str, str]:
    """A starting point in English; staff write the rest."""
    word = config.campaigns.opt_out_word or "STOP"
    if flow.target.consultation is not None:
        consultation = flow.target.consultation
        by = " by {closes}" if consultation.closes_at else ""
        keyword = " or text {keyword}" if consultation.sms_keyword else ""
        text = (f"NHS: we are asking people about {{title}}. Tell us what you think{by}: "
                f"{{link}}{keyword}. Reply {word} to opt out.")
    else:
        assert flow.target.tracker_item is not None
        done = flow.target.tracker_item.you_said_we_did.strip() or "..."
        text = (f"NHS: thank you for your feedback ({{reference}}) about {{title}}. {done} "
                f"Reply {word} to opt out.")
    return {config.languages.default: text}


def _read(config: Config) -> tuple[dict[str, str], Filters]:
    texts = {code: request.form.get(f"text-{code}", "") for code in config.language_codes}
    filters = Filters(services=tuple(s for s in request.form.getlist("services") if s),
                      languages=tuple(code for code in request.form.getlist("languages") if code))
    return texts, filters


def _languages(config: Config, texts: dict[str, str], people: dict[str, int],
               problems: dict[str, str]) -> list[dict[str, Any]]:
    """A text box per language, the default first, each saying how many people speak it."""
    default = config.languages.default
    ordered = sorted(config.languages.languages,
                     key=lambda lang: (lang.code != default, -people.get(lang.code, 0), lang.name))
    rows = []
    for language in ordered:
        text = texts.get(language.code, "")
        rows.append({
            "code": language.code, "name": language.name, "native": language.native_name,
            "dir": language.direction, "text": text, "error": problems.get(language.code),
            "people": people.get(language.code, 0), "required": language.code == default,
            "sms": count_segments(text) if text.strip() else None})
    return rows


def _direction(config: Config, code: str) -> str:
    language = config.language(code)
    return language.direction if language else "ltr"


def _compose(db: Session, flow: Flow, texts: dict[str, str], filters: Filters,
             problems: dict[str, str], error: str | None = None, status: int = 200) -> tuple[str, int]:
    runtime = current_runtime()
    config, now = runtime.config, runtime.intake.clock()
    found = campaigns.audience(db, config, flow.target, filters)
    people: dict[str, int] = defaultdict(int)
    for recipient in found.recipients:
        people[recipient.language] += 1
    labels = Labels(config)
    quiet = QuietHours.from_settings(config.campaigns)
    summary = [{"text": text, "href": f"#text-{code}"} for code, text in problems.items()]
    if error:
        summary.insert(0, {"text": error, "href": "#audience"})
    return render_template(
        "staff/campaign_compose.html", title=f"{flow.heading}: {flow.subject}", flow=flow,
        errors=summary, languages=_languages(config, texts, people, problems),
        placeholders=campaigns.PLACEHOLDERS[flow.kind], reached=len(found.recipients),
        left_out=len(found.excluded), quiet=quiet, quiet_now=quiet.contains(now),
        services=[{"value": s.id, "text": s.name, "checked": s.id in filters.services}
                  for s in config.services],
        filter_languages=[{"value": lang.code, "text": labels.language(lang.code),
                           "checked": lang.code in filters.languages}
                          for lang in config.languages.languages],
        filtered=bool(filters.services or filters.languages)), status


def _preview_page(flow: Flow, shown: Preview, error: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    config = current_runtime().config
    labels = Labels(config)
    sms = {m.text_language for m in shown.messages if m.recipient.channel == "sms"}
    groups = [{"group": group, "name": labels.language(group.language),
               "dir": _direction(config, group.language),
               "for": ", ".join(f"{labels.language(code)} {count}"
                                for code, count in group.people_languages.items()),
               "characters": len(group.example),
               "sms": count_segments(group.example) if group.language in sms else None}
              for group in shown.groups]
    excluded: dict[str, list[str]] = defaultdict(list)
    for exclusion in shown.excluded:
        excluded[exclusion.reason].append(exclusion.pseudonym)
    reasons = [{"reason": reason, "label": campaigns.Reason(reason).label, "count": count,
                "pseudonyms": excluded[reason][:LISTED],
                "more": max(0, len(excluded[reason]) - LISTED)}
               for reason, count in shown.excluded_by_reason.items()]
    return render_template(
        "staff/campaign_preview.html", title=f"Check before sending: {flow.subject}", flow=flow,
        shown=shown, groups=groups, reasons=reasons,
        unused=[labels.language(code) for code in shown.texts
                if code not in {group.language for group in shown.groups}],
        errors=[{"text": error, "href": "#confirm"}] if error else [],
        by_channel=[(labels.channel(c), n) for c, n in shown.by_channel.items()],
        by_language=[(labels.language(c), n) for c, n in shown.by_language.items()],
        filter_services=[labels.service(s) for s in shown.filters.services],
        filter_languages=[labels.language(c) for c in shown.filters.languages],
        not_before=show_moment(shown.not_before) if shown.not_before else None), status


Load = Callable[[Session], Flow]


def _step_compose(load: Load) -> tuple[str, int]:
    runtime = current_runtime()
    with runtime.sessions() as db:
        flow = load(db)
        if request.method == "POST":       # back from the preview to change the text
            texts, filters = _read(runtime.config)
            return _compose(db, flow, texts, filters, {})
        try:
            flow.target.check_open(runtime.intake.clock())
        except CampaignError as exc:
            return render_template("staff/message.html", title="Nobody can be invited now",
                                   message=str(exc)), 409
        return _compose(db, flow, _default_texts(flow, runtime.config), Filters(), {})


def _step_preview(load: Load) -> tuple[str, int]:
    runtime = current_runtime()
    texts, filters = _read(runtime.config)
    with runtime.sessions() as db:
        flow = load(db)
        try:
            shown = campaigns.preview(db, runtime.config, flow.target, texts, filters,
                                      runtime.intake.clock(), runtime.settings.public_base_url)
        except CampaignTextError as exc:
            return _compose(db, flow, texts, filters, exc.problems, status=400)
        except CampaignError as exc:
            return _compose(db, flow, texts, filters, {}, error=str(exc), status=400)
        return _preview_page(flow, shown)


def _step_send(load: Load) -> Response | tuple[str, int]:
    runtime, who = current_runtime(), principal()
    texts, filters = _read(runtime.config)
    with runtime.sessions() as db:
        flow = load(db)
        try:
            campaign = campaigns.send(db, runtime.config, flow.target, texts, filters,
                                      runtime.intake.clock(), runtime.settings.public_base_url,
                                      who.actor, request.form.get("fingerprint") or "-")
        except AudienceChanged as exc:
            db.rollback()
            return _preview_page(flow, exc.preview, error=str(exc), status=409)
        except CampaignTextError as exc:
            db.rollback()
            return _compose(db, flow, texts, filters, exc.problems, status=400)
        except CampaignError as exc:
            db.rollback()
            return _compose(db, flow, texts, filters, {}, error=str(exc), status=400)
        db.commit()
        result = flow.url("result", campaign_id=campaign.id)
        queued = campaign.queued
    flash(f"{queued} {'message is' if queued == 1 else 'messages are'} queued.")
    return redirect(result)  # type: ignore[return-value]


def _step_result(load: Load, campaign_id: int) -> str:
    runtime = current_runtime()
    labels = Labels(runtime.config)
    with runtime.sessions() as db:
        flow = load(db)
        entity, number = flow.target.entity
        campaign = db.get(Campaign, campaign_id)
        owner = None if campaign is None else (
            campaign.consultation_id if entity == "consultation" else campaign.tracker_item_id)
        if campaign is None or campaign.kind != flow.kind or owner != number:
            abort(404)
        counted = db.execute(
            select(OutboundMessage.status, OutboundMessage.channel, OutboundMessage.language,
                   func.count()).where(OutboundMessage.campaign_id == campaign.id)
            .group_by(OutboundMessage.status, OutboundMessage.channel, OutboundMessage.language)).all()
        by_status: dict[str, int] = defaultdict(int)
        by_channel: dict[str, int] = defaultdict(int)
        by_language: dict[str, int] = defaultdict(int)
        for status, channel, language, count in counted:
            by_status[status] += count
            by_channel[labels.channel(channel)] += count
            by_language[labels.language(language or "")] += count
        return render_template(
            "staff/campaign_result.html", title=f"Campaign: {flow.subject}", flow=flow,
            campaign=campaign, by_status=dict(by_status), by_channel=dict(by_channel),
            by_language=dict(by_language), sent_at=show_moment(campaign.created_at),
            not_before=show_moment(campaign.not_before) if campaign.not_before else None,
            texts=[(code, labels.language(code), _direction(runtime.config, code), text)
                   for code, text in campaign.texts.items()],
            excluded=[(campaigns.Reason(reason).label, count)
                      for reason, count in campaign.excluded.items()],
            filters=", ".join([labels.service(s) for s in campaign.filters.get("services", [])] +
                              [labels.language(c) for c in campaign.filters.get("languages", [])]))


# -- an invitation to a consultation --------------------------------------------------------------

@blueprint.route("/consultations/<slug>/invite", methods=["GET", "POST"])
@requires(Action.SEND_CAMPAIGN)
def invite(slug: str) -> tuple[str, int]:
    return _step_compose(lambda db: _invitation(db, slug))


@blueprint.route("/consultations/<slug>/invite/preview", methods=["POST"])
@requires(Action.SEND_CAMPAIGN)
def invite_preview(slug: str) -> tuple[str, int]:
    return _step_preview(lambda db: _invitation(db, slug))


@blueprint.route("/consultations/<slug>/invite/send", methods=["POST"])
@requires(Action.SEND_CAMPAIGN)
def invite_send(slug: str) -> Response | tuple[str, int]:
    return _step_send(lambda db: _invitation(db, slug))


@blueprint.route("/consultations/<slug>/invite/<int:campaign_id>")
@requires(Action.SEND_CAMPAIGN)
def invite_result(slug: str, campaign_id: int) -> str:
    return _step_result(lambda db: _invitation(db, slug), campaign_id)


# -- "you said, we did" for a tracker item --------------------------------------------------------

@blueprint.route("/tracker/<int:item_id>/you-said-we-did", methods=["GET", "POST"])
@requires(Action.SEND_CAMPAIGN)
def you_said_we_did(item_id: int) -> tuple[str, int]:
    return _step_compose(lambda db: _you_said_we_did(db, item_id))


@blueprint.route("/tracker/<int:item_id>/you-said-we-did/preview", methods=["POST"])
@requires(Action.SEND_CAMPAIGN)
def you_said_we_did_preview(item_id: int) -> tuple[str, int]:
    return _step_preview(lambda db: _you_said_we_did(db, item_id))


@blueprint.route("/tracker/<int:item_id>/you-said-we-did/send", methods=["POST"])
@requires(Action.SEND_CAMPAIGN)
def you_said_we_did_send(item_id: int) -> Response | tuple[str, int]:
    return _step_send(lambda db: _you_said_we_did(db, item_id))


@blueprint.route("/tracker/<int:item_id>/you-said-we-did/<int:campaign_id>")
@requires(Action.SEND_CAMPAIGN)
def you_said_we_did_result(item_id: int, campaign_id: int) -> str:
    return _step_result(lambda db: _you_said_we_did(db, item_id), campaign_id)
