"""Synthetic SMS traffic as Twilio delivers it: signed webhook forms from Ofcom's drama numbers
(+447700900001 to +447700900999, never real people), a mix of first messages and replies within
conversations, and now and then a retried delivery of a message already answered.

Each simulated person answers the question the bot last asked them (YES or NO, a number from the
menu, a few words), as a person with a phone would, so the conversations run to their end, where
the feedback is stored and tagged. A number's next text is only sent once the previous one was
answered; a number is used again (a returning person) only after its conversation has ended.
"""

from __future__ import annotations

import random
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree
from collections import Counter, deque
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator

FIRST_NUMBER, LAST_NUMBER = 1, 999  # +447700900000 is the service's own number
MAX_TEXTS = 8  # a conversation that has not ended by then is left (as people do)

# Pieces of synthetic feedback, combined at random so that few first messages are alike
# (the taggers cache per word, so one text sent a thousand times would flatter them).
OPENINGS = {
    "en": ["My GP never answers the phone", "The receptionist was rude to my dad",
           "The midwife was lovely but the ward was short of staff",
           "We waited six hours in A&E with my daughter",
           "The pharmacy gave my mum the wrong tablets",
           "The dentist cancelled my appointment twice",
           "Mental health services did not call me back",
           "The nurse on the hospital ward was very kind",
           "I could not get an appointment for my son",
           "The paramedics were brilliant with my grandad"],
    "pl": ["Lekarz rodzinny nie odbiera telefonu od tygodnia",
           "Czekałam sześć godzin na izbie przyjęć", "Pielęgniarka była bardzo miła",
           "Nie mogę się umówić do dentysty"],
}
DETAILS = {
    "en": ["and I waited three weeks", "and nobody told us anything", "last Tuesday morning",
           "and the car park was full", "so I had to ring back at 8am",
           "and it was very stressful", "and my mum needs an interpreter",
           "which made a big difference", "again this month",
           "and the letter came after the appointment"],
    "pl": ["i nikt nam nic nie powiedział", "a moja mama potrzebuje tłumacza",
           "w zeszłym tygodniu", "i to było bardzo stresujące"],
}
# How people start: (language, first text or None for feedback in words, weight).
STARTS = [("en", None, 6), ("en", "Hello", 2), ("pl", None, 1), ("en", "HELP", 1)]
ENDED = re.compile(r"\bFB-[A-Z0-9]{4,}\b|HELP\b.*\bSTOP\b|\bSTOP\b.*\bSTART\b")
YES_NO = re.compile(r"\bYES\b.*\bNO\b")
SEVERAL = re.compile(r"\b(eg|np\.) 1 3\b")
MENU_NUMBER = re.compile(r"(?:^|[\s.?])([1-9])(?=[\s,.])")


def feedback_text(language: str, rng: random.Random) -> str:
    return f"{rng.choice(OPENINGS[language])} {rng.choice(DETAILS[language])}"


def reply_to(question: str, language: str, rng: random.Random) -> str:
    """What a person answers to the bot's last message."""
    if YES_NO.search(question):
        return "YES" if rng.random() < 0.85 else "NO"
    if SEVERAL.search(question):  # communication needs: mostly none
        return rng.choice(["6", "6", "6", "1 3", "2", "SKIP"])
    numbers = [int(n) for n in MENU_NUMBER.findall(question)]
    if numbers:
        return str(rng.randint(1, max(numbers)))
    return feedback_text(language, rng)


def last_message(twiml: bytes) -> str:
    try:
        messages = [m.text or "" for m in ElementTree.fromstring(twiml).iter("Message")]
    except ElementTree.ParseError:
        return ""
    return messages[-1] if messages else ""


@dataclass
class Conversation:
    number: str
    language: str
    next_text: str
    returning: bool               # the number held an earlier conversation
    sent: int = 0


@dataclass(frozen=True)
class Delivery:
    """One webhook request: the form Twilio would POST and its signature."""

    kind: str                      # "first", "reply", "retry" or "extra" (see Traffic.next)
    params: dict[str, str]
    body: bytes
    signature: str
    conversation: Conversation | None


def twilio_form(sender: str, text: str, sid: str, to: str, account_sid: str) -> dict[str, str]:
    """The fields Twilio POSTs for an SMS to a GB number."""
    return {"ToCountry": "GB", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
            "SmsStatus": "received", "Body": text, "FromCountry": "GB", "To": to,
            "NumSegments": "1", "MessageSid": sid, "AccountSid": account_sid, "From": sender,
            "ApiVersion": "2010-04-01"}


@dataclass
class Traffic:
    """Where the next request comes from. Not thread-safe: use it from one event loop."""

    signed_url: str                # the public URL Twilio signs (PUBLIC_BASE_URL + path)
    auth_token: str
    service_number: str
    account_sid: str
    seed: int = 0
    new_share: float = 0.25        # of requests that start a conversation (when replies wait)
    retry_share: float = 0.02      # of requests that repeat an answered delivery
    counts: Counter[str] = field(default_factory=Counter)
    retries_differing: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._validator = RequestValidator(self.auth_token)
        self._free = deque(f"+447700900{n:03d}" for n in range(FIRST_NUMBER, LAST_NUMBER + 1))
        self._used: set[str] = set()
        self._waiting: deque[Conversation] = deque()   # answered, next text not yet sent
        self._in_flight: dict[str, Conversation] = {}  # sent, not yet answered
        self._answered: deque[tuple[dict[str, str], bytes]] = deque(maxlen=500)
        self._weights = [weight for _, _, weight in STARTS]

    def next(self) -> Delivery:
        rng = self._rng
        if self._answered and rng.random() < self.retry_share:
            params, _ = rng.choice(self._answered)
            return self._delivery("retry", params, None)
        if self._waiting and (rng.random() >= self.new_share or not self._free):
            conversation = self._waiting.popleft()
            kind = "reply"
        elif self._free:
            number = self._free.popleft()
            language, first, _ = rng.choices(STARTS, self._weights)[0]
            conversation = Conversation(number, language, first or feedback_text(language, rng),
                                        returning=number in self._used)
            self._used.add(number)
            kind = "first"
        else:  # all 999 numbers await an answer (a server far behind): someone texts again
            conversation = rng.choice(list(self._in_flight.values()))
            params = twilio_form(conversation.number, feedback_text(conversation.language, rng),
                                 "SM" + uuid.uuid4().hex, self.service_number, self.account_sid)
            return self._delivery("extra", params, None)
        conversation.sent += 1
        self._in_flight[conversation.number] = conversation
        params = twilio_form(conversation.number, conversation.next_text, "SM" + uuid.uuid4().hex,
                             self.service_number, self.account_sid)
        return self._delivery(kind, params, conversation)

    def _delivery(self, kind: str, params: dict[str, str],
                  conversation: Conversation | None) -> Delivery:
        self.counts[kind] += 1
        if kind == "first" and conversation is not None and conversation.returning:
            self.counts["first from a returning number"] += 1
        return Delivery(kind, params, urllib.parse.urlencode(params).encode(),
                        self._validator.compute_signature(self.signed_url, params), conversation)

    def answered(self, delivery: Delivery, ok: bool, body: bytes) -> None:
        """Record the answer; the person's next text may now be sent."""
        if delivery.kind in ("retry", "extra"):
            first = next((b for p, b in self._answered if p is delivery.params), None)
            if ok and first is not None and first != body:
                self.retries_differing += 1
            return
        if ok:
            self._answered.append((delivery.params, body))
        conversation = delivery.conversation
        assert conversation is not None
        self._in_flight.pop(conversation.number, None)
        question = last_message(body) if ok else ""
        if not ok or ENDED.search(question) or conversation.sent >= MAX_TEXTS:
            self.counts["conversations ended" if ok and ENDED.search(question)
                        else "conversations left unfinished"] += 1
            self._free.append(conversation.number)
            return
        conversation.next_text = reply_to(question, conversation.language, self._rng)
        self._waiting.append(conversation)
