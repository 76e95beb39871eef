"""The service layer every entry point calls: receive, process, reprocess.

The order is the guarantee. ``receive`` commits the raw message in its own transaction before
anything else happens, so whatever fails afterwards, the message is kept and can be processed
again. The provider's message id is unique per channel, so a retried delivery finds the first
record instead of creating a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake import pipeline
from intake.campaigns.reply_links import invitations_for, recent_invitations
from intake.config import Config
from intake.contributors import (
    contributor_for,
    known_languages,
    normalise_address,
    record_answers,
    sender_languages,
)
from intake.link_decisions import removed_targets
from intake.message import IncomingMessage, message_from_json, message_to_json
from intake.pipeline import Draft, PipelineContext, RejectedMessage, Taggers
from intake.pipeline.stages.needs import need_code
from intake.privacy.vault import ContactVault
from intake.references import new_reference
from intake.routing_targets import load_consultation_targets, load_tracker_targets
from intake.storage.base import utcnow
from intake.storage.models import (
    AuditEvent,
    Consultation,
    Conversation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    InboundMessage,
    InboundState,
)
from intake.tag_history import apply_pipeline_tags

log = logging.getLogger(__name__)
PIPELINE_ACTOR = "pipeline"


class RetagSummary(NamedTuple):
    items: int
    added: int
    retracted: int
    skipped: int


@dataclass(frozen=True)
class IngestResult:
    """What happened to one inbound message, for the channel to tell the person."""

    inbound_id: int
    state: InboundState
    duplicate: bool = False
    feedback_id: int | None = None
    reference: str | None = None
    error: str | None = None


class Intake:
    """Stores, tags and routes feedback. Built once (see :mod:`intake.bootstrap`) and shared."""

    def __init__(self, sessions: sessionmaker[Session], config: Config, vault: ContactVault,
                 clock: Callable[[], datetime] = utcnow, taggers: Taggers | None = None) -> None:
        self.sessions = sessions
        self.config = config
        self.vault = vault
        self.taggers = taggers or Taggers(config)
        self.clock = clock

    # -- the raw inbox ---------------------------------------------------------------------
    def receive(self, message: IncomingMessage) -> tuple[int, bool]:
        """Store the raw message and commit. Returns (inbound id, whether it was a duplicate)."""
        now = self.clock()
        if message.received_at is None:
            message = replace(message, received_at=now)
        record = InboundMessage(
            channel=message.channel, provider_message_id=message.provider_message_id,
            received_at=message.received_at,
            payload_encrypted=self.vault.encrypt(message_to_json(message)),
            sender_hash=(self.vault.lookup_hash(message.address_channel,
                                                normalise_address(message.address_channel,
                                                                  message.sender))
                         if message.sender else None),
            state=InboundState.RECEIVED)
        with self.sessions() as session:
            session.add(record)
            try:
                session.commit()
                return record.id, False
            except IntegrityError:
                session.rollback()
            existing = session.scalar(select(InboundMessage.id).where(
                InboundMessage.channel == message.channel,
                InboundMessage.provider_message_id == message.provider_message_id))
            if existing is None:  # pragma: no cover - the constraint that fired was another one
                raise RuntimeError("inbound message could not be stored")
            return existing, True

    def mark_ignored(self, inbound_id: int, reason: str) -> bool:
        """For messages that are deliberately not feedback (a menu command, for example).
        Only a message not yet processed is marked; returns whether this call marked it."""
        with self.sessions.begin() as session:
            record = session.get_one(InboundMessage, inbound_id)
            if record.state != InboundState.RECEIVED:
                return False
            record.state, record.error, record.processed_at = (
                InboundState.IGNORED, reason, self.clock())
            return True

    # -- processing ------------------------------------------------------------------------
    def context(self, session: Session) -> PipelineContext:
        return PipelineContext(
            config=self.config, taggers=self.taggers,
            tracker_items=load_tracker_targets(session),
            consultations=load_consultation_targets(session), now=self.clock())

    @property
    def _reply_days(self) -> int:
        """How long after an invitation a reply is still about its consultation."""
        return self.config.campaigns.invitation_reply_days

    def process(self, inbound_id: int) -> IngestResult:
        """Turn a stored inbound message into a tagged, routed feedback item.

        A rejection (input that can never become feedback) and a crash are both recorded on the
        inbound row; neither loses the message.
        """
        with self.sessions() as session:
            record = session.get_one(InboundMessage, inbound_id)
            done = self._existing_result(session, record)
            if done is not None:
                return done
            record.attempts += 1
            message = message_from_json(self.vault.decrypt(record.payload_encrypted))
            try:
                context = replace(self.context(session), language_prior=sender_languages(
                    session, self.vault, message), invitations=invitations_for(
                    session, self.vault, message, self.clock(), self._reply_days))
                draft = pipeline.run(message, context)
                feedback = self._store(session, record, message, draft)
                record.state, record.error = InboundState.PROCESSED, None
                record.processed_at = self.clock()
                session.commit()
                return IngestResult(inbound_id, InboundState.PROCESSED,
                                    feedback_id=feedback.id, reference=feedback.reference)
            except RejectedMessage as exc:
                return self._record_outcome(session, inbound_id, InboundState.REJECTED, str(exc))
            except Exception as exc:
                log.exception("processing inbound message %s failed", inbound_id)
                return self._record_outcome(session, inbound_id, InboundState.FAILED,
                                            f"{type(exc).__name__}: {exc}")

    def ingest(self, message: IncomingMessage) -> IngestResult:
        """Receive then process. A duplicate is not processed again: the first delivery's
        outcome is returned, so a retry is answered exactly as the original was."""
        inbound_id, duplicate = self.receive(message)
        if duplicate:
            with self.sessions() as session:
                record = session.get_one(InboundMessage, inbound_id)
                result = self._existing_result(session, record) or IngestResult(
                    inbound_id, InboundState(record.state), error=record.error)
            return replace(result, duplicate=True)
        return self.process(inbound_id)

    def _existing_result(self, session: Session, record: InboundMessage) -> IngestResult | None:
        if record.state == InboundState.PROCESSED:
            feedback = session.scalar(
                select(Feedback).where(Feedback.inbound_message_id == record.id))
            return IngestResult(record.id, InboundState.PROCESSED,
                                feedback_id=feedback.id if feedback else None,
                                reference=feedback.reference if feedback else None)
        if record.state in (InboundState.REJECTED, InboundState.IGNORED):
            return IngestResult(record.id, InboundState(record.state), error=record.error)
        return None

    def _record_outcome(self, session: Session, inbound_id: int, state: InboundState,
                        error: str) -> IngestResult:
        session.rollback()
        record = session.get_one(InboundMessage, inbound_id, populate_existing=True)
        # Another worker may have finished this message meanwhile (its feedback row is why ours
        # failed): its success stands, and the inbound row is made to say so.
        feedback = session.scalar(select(Feedback).where(Feedback.inbound_message_id == inbound_id))
        if feedback is not None:
            if record.state != InboundState.PROCESSED:
                record.state, record.error = InboundState.PROCESSED, None
                record.processed_at = record.processed_at or self.clock()
                session.commit()
            return IngestResult(inbound_id, InboundState.PROCESSED, feedback_id=feedback.id,
                                reference=feedback.reference)
        record.state, record.error = state, error
        record.attempts = (record.attempts or 0) + 1
        session.commit()
        return IngestResult(inbound_id, state, error=error)

    def _store(self, session: Session, record: InboundMessage, message: IncomingMessage,
               draft: Draft) -> Feedback:
        now = self.clock()
        contributor = None
        if message.sender:
            contributor, _ = contributor_for(session, self.vault, message.address_channel,
                                             message.sender, now)
            codes = {need: need_code(self.config, need) for need in message.answers.needs}
            record_answers(session, contributor, message, record.id, codes, now)
        entry = None
        if message.answers.consultation:
            entry = session.scalar(select(Consultation.id).where(
                Consultation.slug == message.answers.consultation))
        feedback = Feedback(
            reference=self._unused_reference(session), inbound_message_id=record.id,
            contributor=contributor, channel=message.channel, text=draft.text,
            redacted_text=draft.redacted_text, on_behalf_of=message.answers.on_behalf_of,
            fft_rating=message.answers.fft_rating.value if message.answers.fft_rating else None,
            consultation_id=entry, received_at=record.received_at, created_at=now,
            updated_at=now, pipeline_version=pipeline.PIPELINE_VERSION)
        session.add(feedback)
        apply_pipeline_tags(feedback, draft.tags, now, reason=f"pipeline:{record.id}")
        session.flush()
        self._add_links(session, feedback, draft, now)
        conversation_id = message.metadata.get("conversation_id")
        if isinstance(conversation_id, int):
            # A chat's answers became this item: linked here, so an item finished later by
            # `intake reprocess --failed` shows its conversation too.
            session.execute(update(Conversation).where(
                Conversation.id == conversation_id, Conversation.feedback_id.is_(None))
                .values(feedback_id=feedback.id))
        session.add(AuditEvent(occurred_at=now, actor=PIPELINE_ACTOR, action="feedback.created",
                               entity_type="feedback", entity_id=feedback.reference,
                               details={"channel": message.channel, "inbound_id": record.id}))
        return feedback

    @staticmethod
    def _unused_reference(session: Session) -> str:
        while True:
            reference = new_reference()
            if session.scalar(select(Feedback.id).where(Feedback.reference == reference)) is None:
                return reference

    @staticmethod
    def _add_links(session: Session, feedback: Feedback, draft: Draft, now: datetime) -> int:
        """Add the links routing proposes that the item does not have yet."""
        tracker = set(session.scalars(select(FeedbackTrackerLink.tracker_item_id).where(
            FeedbackTrackerLink.feedback_id == feedback.id)))
        consultations = set(session.scalars(select(FeedbackConsultationLink.consultation_id)
                                            .where(FeedbackConsultationLink.feedback_id
                                                   == feedback.id)))
        removed = removed_targets(session, feedback.id)
        added = 0
        for link in draft.links:
            if (link.target, link.target_id) in removed:
                continue  # a member of staff took this link away
            if link.target == "tracker" and link.target_id not in tracker:
                session.add(FeedbackTrackerLink(feedback_id=feedback.id,
                                                tracker_item_id=link.target_id,
                                                rule_id=link.rule_id, created_at=now))
            elif link.target == "consultation" and link.target_id not in consultations:
                session.add(FeedbackConsultationLink(feedback_id=feedback.id,
                                                     consultation_id=link.target_id,
                                                     rule_id=link.rule_id, created_at=now))
            else:
                continue
            added += 1
        return added

    # -- reprocessing ----------------------------------------------------------------------
    def pending_inbound(self, include_rejected: bool = False) -> list[int]:
        """Inbound messages that never became feedback: failed, or received and left behind."""
        states = [InboundState.FAILED, InboundState.RECEIVED]
        if include_rejected:
            states.append(InboundState.REJECTED)
        with self.sessions() as session:
            return list(session.scalars(select(InboundMessage.id)
                                        .where(InboundMessage.state.in_(states))
                                        .order_by(InboundMessage.id)))

    def retry(self, inbound_id: int) -> IngestResult:
        """Process a failed (or rejected, after a configuration change) message again."""
        with self.sessions.begin() as session:
            record = session.get_one(InboundMessage, inbound_id)
            if record.state in (InboundState.FAILED, InboundState.REJECTED):
                record.state = InboundState.RECEIVED
        return self.process(inbound_id)

    def retag(self, feedback_ids: Iterable[int] | None = None) -> RetagSummary:
        """Re-run the taggers and routing on stored feedback with the current configuration.

        Tags set by a contributor or staff are kept, and links are only ever added. An item whose
        stored answers the current configuration no longer accepts is left as it was (skipped).
        """
        with self.sessions() as session:
            # Erased items have nothing left to tag; their tags stay as the counts' record.
            query = select(Feedback.id).where(Feedback.erased_at.is_(None)).order_by(Feedback.id)
            if feedback_ids is not None:
                query = query.where(Feedback.id.in_(list(feedback_ids)))
            ids = list(session.scalars(query))
        items = added = retracted = skipped = 0
        for feedback_id in ids:
            with self.sessions.begin() as session:
                feedback = session.get_one(Feedback, feedback_id)
                message = self._original_message(session, feedback)
                context = replace(self.context(session), language_prior=known_languages(
                    session, feedback.contributor_id, exclude_feedback_id=feedback.id),
                    invitations=recent_invitations(session, feedback.contributor_id,
                                                   feedback.received_at, self._reply_days))
                try:
                    draft = pipeline.run(message, context)
                except RejectedMessage as exc:
                    log.warning("re-tagging %s skipped: %s", feedback.reference, exc)
                    skipped += 1
                    continue
                now = self.clock()
                plus, minus = apply_pipeline_tags(
                    feedback, draft.tags, now, reason=f"reprocess:{pipeline.PIPELINE_VERSION}")
                self._add_links(session, feedback, draft, now)
                feedback.redacted_text = draft.redacted_text
                feedback.pipeline_version = pipeline.PIPELINE_VERSION
                items, added, retracted = items + 1, added + plus, retracted + minus
        return RetagSummary(items, added, retracted, skipped)

    def _original_message(self, session: Session, feedback: Feedback) -> IncomingMessage:
        """The message as it arrived, or, once retention removed that, the item's own text."""
        if feedback.inbound_message_id is not None:
            record = session.get_one(InboundMessage, feedback.inbound_message_id)
            if record.payload_encrypted:
                return message_from_json(self.vault.decrypt(record.payload_encrypted))
        return IncomingMessage(channel=feedback.channel, provider_message_id=feedback.reference,
                               text=feedback.text, received_at=feedback.received_at)
