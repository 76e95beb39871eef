"""Link feedback to tracker items and consultations by the rules in routing.toml.

Each link names the rule that made it. A target is linked once, by the first rule that matches.
"""

from __future__ import annotations

from dataclasses import replace

from intake.config.schema import RoutingRule
from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, LinkProposal
from intake.pipeline.stage import Stage
from intake.taggers.phrases import PhraseMatcher


def _services(draft: Draft, rule: RoutingRule) -> set[str]:
    return {t.value for t in draft.tags_of("service") if t.confidence >= rule.min_confidence}


def _matches(rule: RoutingRule, draft: Draft, context: PipelineContext) -> list[LinkProposal]:
    moment = draft.message.received_at or context.now
    if rule.target == "tracker":
        services = _services(draft, rule)
        return [LinkProposal("tracker", item.id, rule.id)
                for item in context.tracker_items if item.services & services]
    if rule.match == "entry-point":
        slug = draft.message.answers.consultation
        return [LinkProposal("consultation", c.id, rule.id)
                for c in context.consultations if slug is not None and c.slug == slug]
    open_now = [c for c in context.consultations if c.is_open_at(moment)]
    if rule.match == "invitation":
        return [LinkProposal("consultation", c.id, rule.id)
                for c in open_now if c.id in context.invitations]
    if rule.match == "service":
        services = _services(draft, rule)
        return [LinkProposal("consultation", c.id, rule.id)
                for c in open_now if c.services & services]
    return [LinkProposal("consultation", c.id, rule.id)
            for c in open_now
            if c.keywords and PhraseMatcher({c.slug: c.keywords}).find(draft.text)]


def apply(draft: Draft, context: PipelineContext) -> Draft:
    links: dict[tuple[str, int], LinkProposal] = {}
    for rule in context.config.routing:
        if rule.enabled:
            for link in _matches(rule, draft, context):
                links.setdefault((link.target, link.target_id), link)
    return replace(draft, links=tuple(links.values()))


STAGE = Stage("routing", 1, apply)
