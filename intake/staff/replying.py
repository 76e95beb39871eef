"""Replying to the person behind an item from the workspace, and meeting their communication needs.

A reply goes only to someone who agreed to be contacted (a ``follow-up`` consent, the latest
one granted) and has not opted out: follow-up contact rests on consent, so no record means no
reply. ``intake.replies.queue_reply`` does the sending through the outbox and checks opt-outs
and refusals again.

The Accessible Information Standard asks us to act on recorded needs whenever we contact someone.
The reply box says what each need means for this reply: the language is chosen for them, Easy
Read comes with wording guidance, and needs a written reply on this channel cannot meet are named
so they can be met another way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Config
from intake.pipeline.stages.needs import INTERPRETER, INTERPRETER_PREFIX
from intake.replies import FOLLOW_UP, CannotReply, queue_reply
from intake.staff.labels import Labels
from intake.storage.models import ContactAddress, Feedback, OutboundMessage, Tag
from intake.tag_history import active_tags

EASY_READ = "easy-read"
EASY_READ_GUIDANCE = (
    "Use short sentences: 15 words or fewer, one idea in each.",
    "Use everyday words. Explain any word they may not know.",
    "Say who you are and why you are writing first.",
    "Write numbers as digits (3, not three) and dates in full (Monday 9 March).",
    "Leave out abbreviations and jargon.",
    "Say clearly what happens next and what, if anything, they need to do.",
)
CHANNEL_METHODS = {"sms": "contact-by-sms", "email": "contact-by-email"}


@dataclass(frozen=True)
class NeedAdvice:
    value: str
    label: str
    told_us: bool          # recorded from what they told us, not only mentioned in this feedback
    advice: str


@dataclass(frozen=True)
class ReplyOptions:
    refusal: str | None    # why no reply can be sent, or None
    channel: str | None    # where a reply would go
    language: str          # the language to reply in, chosen for them
    needs: list[NeedAdvice]

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def easy_read(self) -> bool:
        return any(n.value == EASY_READ for n in self.needs)

    @property
    def summary(self) -> str:
        """"Needs: Spoken-language interpreter (Urdu), Easy Read"."""
        return "Needs: " + ", ".join(n.label for n in self.needs) if self.needs else ""


def _address(session: Session, feedback: Feedback) -> ContactAddress | None:
    # The same choice queue_reply makes: their own channel first.
    addresses = list(session.scalars(select(ContactAddress).where(
        ContactAddress.contributor_id == feedback.contributor_id).order_by(ContactAddress.id)))
    addresses.sort(key=lambda a: a.channel != feedback.channel)
    return addresses[0] if addresses else None


def reply_refusal(session: Session, feedback: Feedback) -> str | None:
    """Why nobody may reply to this item (a sentence for staff), or None if a reply may go."""
    if feedback.contributor is None:
        return "This feedback was sent without contact details, so there is no one to reply to."
    address = _address(session, feedback)
    if address is None:
        return "There is no contact address for this person."
    if address.opted_out_at is not None:
        return (f"The person opted out of messages on {address.opted_out_at:%d %B %Y}. "
                "Nothing can be sent to them.")
    consents = [c for c in feedback.contributor.consents if c.purpose == FOLLOW_UP]
    if not consents:
        return ("The person was not asked, or did not say, whether we may contact them, so a "
                "reply cannot be sent.")
    if not consents[-1].granted:
        return "The person said they do not want to be contacted."
    return None


def _advice(config: Config, labels: Labels, value: str, channel: str | None) -> str:
    where = labels.channel(channel) if channel else "their channel"
    if value == EASY_READ:
        return "Write the reply in Easy Read: follow the guidance below."
    if value.startswith(INTERPRETER_PREFIX):
        language = labels.language(value.removeprefix(INTERPRETER_PREFIX))
        return f"Write the reply in {language}, or have it translated before it is sent."
    if value == INTERPRETER:
        return "They may need the reply in another language: check which before writing."
    need = config.needs_by_id.get(value)
    if need is None:
        return "Check what this need means for a reply before writing."
    if need.category == "contact-method":
        if CHANNEL_METHODS.get(channel or "") == value:
            return f"Met: the reply goes by {where}, as they asked."
        return (f"The reply can only go by {where}. If they cannot use that, arrange "
                f"{need.label.lower()} another way.")
    if need.category == "information-format":
        return (f"A written reply by {where} cannot be in this format. Keep it short and "
                "arrange anything longer in the format they need.")
    if need.category == "communication-professional":
        return f"Book this for any call or meeting with them: {need.label}."
    return f"Remember this for any call or meeting with them: {need.label}."


def reply_options(session: Session, config: Config, feedback: Feedback) -> ReplyOptions:
    labels = Labels(config)
    address = _address(session, feedback) if feedback.contributor is not None else None
    channel = address.channel if address else None
    person = feedback.contributor
    recorded = [n.need for n in person.needs if n.withdrawn_at is None] if person else []
    mentioned = [t.value for t in active_tags(feedback) if t.kind == "need"]
    needs = [NeedAdvice(value, labels.need(value), value in recorded,
                        _advice(config, labels, value, channel))
             for value in dict.fromkeys([*recorded, *mentioned])]
    return ReplyOptions(refusal=reply_refusal(session, feedback), channel=channel,
                        language=reply_language(config, feedback, [n.value for n in needs]),
                        needs=needs)


def reply_language(config: Config, feedback: Feedback, needs: list[str]) -> str:
    """Their chosen language, else the language of an interpreter they need, else the language
    this feedback was written in, else the district's default."""
    known = set(config.language_codes)
    person = feedback.contributor
    candidates = [person.preferred_language if person else None]
    candidates += [n.removeprefix(INTERPRETER_PREFIX) for n in needs
                   if n.startswith(INTERPRETER_PREFIX)]
    candidates += [t.value for t in sorted(active_tags(feedback), key=_human_first)
                   if t.kind == "language"]
    return next((c for c in candidates if c in known), config.languages.default)


def _human_first(tag: Tag) -> tuple[bool, float]:
    return tag.source == "auto", -tag.confidence


def send_reply(session: Session, config: Config, feedback: Feedback, body: str, language: str,
               actor: str, now: datetime) -> OutboundMessage:
    """Queue the reply through the outbox, or ``CannotReply`` saying why not."""
    refusal = reply_refusal(session, feedback)
    if refusal is not None:
        raise CannotReply(refusal)
    message = queue_reply(session, feedback, body, actor, now)
    if message.language is None and language in config.language_codes:
        message.language = language
    return message
