"""Checking a submitted form and turning it into the pipeline's ``IncomingMessage``. Pure.

Errors follow the NHS pattern: one message per field, in page order, each a sentence that says
what to do; the error summary links to the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from intake.message import Answers, Consent, FftRating, IncomingMessage
from webhooks.forms.phone import uk_mobile
from webhooks.forms.text import PageText

NOT_SURE = "not-sure"
ABOUT = ("me", "someone")
CONTACT = ("sms", "email", "no")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FOLLOW_UP = "follow-up"


@dataclass(frozen=True)
class Submission:
    about: str
    service: str
    what: str
    fft: str | None
    needs: tuple[str, ...]
    interpreter: str | None
    contact: str
    address: str | None


@dataclass(frozen=True)
class Checked:
    submission: Submission | None
    errors: dict[str, str] = field(default_factory=dict)


def check(form: Mapping[str, str], needs_chosen: Sequence[str], *, services: Sequence[str],
          needs_offered: Sequence[str], interpreter_languages: Sequence[str], text: PageText,
          limit: int) -> Checked:
    """Validate the fields a person sent (``needs_chosen`` is the list of ticked boxes)."""
    errors: dict[str, str] = {}
    about = form.get("about", "")
    if about not in ABOUT:
        errors["about"] = text.error("about_required")
    service = form.get("service", "")
    if service not in (*services, NOT_SURE):
        errors["service"] = text.error("service_required")
    what = form.get("what", "").strip()
    if not what:
        errors["what"] = text.error("what_required")
    elif len(what) > limit:
        errors["what"] = text.error("what_too_long", limit=text.number(limit))
    fft = form.get("fft") or None
    if fft not in (None, *[r.value for r in FftRating]):
        fft = None
    contact = form.get("contact", "")
    address = None
    if contact not in CONTACT:
        errors["contact"] = text.error("contact_required")
    elif contact == "sms":
        typed = form.get("phone", "").strip()
        address = uk_mobile(typed) if typed else None
        if address is None:
            errors["phone"] = text.error("phone_invalid" if typed else "phone_required")
    elif contact == "email":
        typed = form.get("email", "").strip()
        address = typed if EMAIL.match(typed) else None
        if address is None:
            errors["email"] = text.error("email_invalid" if typed else "email_required")
    interpreter = form.get("interpreter") or None
    if interpreter not in interpreter_languages:
        interpreter = None
    chosen = tuple(n for n in dict.fromkeys(needs_chosen) if n in needs_offered)
    if errors:
        return Checked(None, errors)
    return Checked(Submission(about, service, what, fft, chosen, interpreter, contact, address))


def to_message(submission: Submission, submission_id: str, *, consultation: str | None,
               text: PageText) -> IncomingMessage:
    """The form as the channel-neutral message every channel hands to the pipeline."""
    needs = [n for n in submission.needs if n != "interpreter"]
    if submission.interpreter:
        needs.append(f"interpreter:{submission.interpreter}")
    elif "interpreter" in submission.needs:
        needs.append("interpreter")
    contact_wanted = submission.contact != "no"
    return IncomingMessage(
        channel="web", provider_message_id=submission_id, text=submission.what,
        sender=submission.address, sender_channel=submission.contact if contact_wanted else None,
        answers=Answers(
            services=() if submission.service == NOT_SURE else (submission.service,),
            needs=tuple(needs),
            fft_rating=FftRating(submission.fft) if submission.fft else None,
            on_behalf_of=submission.about == "someone", consultation=consultation,
            consents=(Consent(FOLLOW_UP, contact_wanted, str(text.meta["wording_version"])),)
            if submission.address or not contact_wanted else ()),
        metadata={"form_language": text.language, "easy_read": text.easy_read},
        language_hint=text.language)
