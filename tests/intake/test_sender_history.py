"""intake.sender_history: a sender's recent languages and invitations in one read, the same as
reading each on its own (``known_languages``, ``recent_invitations``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from intake.bootstrap import Runtime
from intake.campaigns.reply_links import recent_invitations
from intake.contributors import known_languages
from intake.sender_history import sender_history
from intake.storage.models import Contributor, OutboundStatus
from tests.conftest import FIXED_NOW
from tests.intake.campaigns.test_reply_links import DAYS, sent_message
from tests.intake.synthetic_people import DAY, add_consultation
from tests.intake.test_contributors import OTHER_SENDER, feedback, person


def people(runtime: Runtime) -> list[int]:
    """Three people: one with languages and invitations of every kind that counts and does not,
    one with only a preferred language, one with nothing."""
    someone = person(runtime, preferred="sk")
    feedback(runtime, someone, "sk")
    feedback(runtime, someone, "cs", retracted=("pl",))
    feedback(runtime, someone, "und", services=("gp",))
    quiet = person(runtime, OTHER_SENDER, preferred="ur")
    nobody = person(runtime, "+447700900789")
    with runtime.sessions.begin() as session:
        first, second, old, failed = (add_consultation(session, slug, sms_keyword=slug.upper()).id
                                      for slug in ("first", "second", "old", "failed"))
        sent_message(session, someone, consultation_id=second, sent_at=FIXED_NOW - DAY)
        sent_message(session, someone, consultation_id=first, sent_at=FIXED_NOW - 2 * DAY)
        sent_message(session, someone, consultation_id=second, sent_at=FIXED_NOW - 3 * DAY)
        sent_message(session, someone, consultation_id=old, sent_at=FIXED_NOW - (DAYS + 1) * DAY)
        sent_message(session, someone, consultation_id=failed, status=OutboundStatus.FAILED)
        sent_message(session, quiet, consultation_id=first, sent_at=FIXED_NOW + timedelta(hours=1))
    return [someone, quiet, nobody]


def test_it_reads_what_the_two_reads_read_in_one_statement(runtime: Runtime) -> None:
    answers = []
    for contributor_id in people(runtime):
        with runtime.sessions() as session:
            contributor = session.get_one(Contributor, contributor_id)
            expected = (known_languages(session, contributor),
                        recent_invitations(session, contributor_id, FIXED_NOW, DAYS))
            sent: list[str] = []
            event.listen(session.connection(), "before_cursor_execute",
                         lambda *args, sent=sent: sent.append(args[2]))
            history = sender_history(session, contributor, FIXED_NOW, DAYS)
        assert history == expected and len(sent) == 1
        answers.append(history)
    someone, quiet, nobody = answers
    assert someone[0] == {"sk": 3.0, "cs": 1.0} and len(someone[1]) == 2
    assert quiet == ({"ur": 2.0}, ())
    assert nobody == ({}, ())


def test_a_stranger_has_no_history_and_nothing_is_read(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        sent: list[str] = []
        event.listen(session.connection(), "before_cursor_execute",
                     lambda *args: sent.append(args[2]))
        assert sender_history(session, None, FIXED_NOW, DAYS) == ({}, ())
    assert sent == []
