"""intake.sender_history: a sender's recent languages and invitations in one read. (Each part's
rules are tested in tests/intake/test_contributors.py and tests/intake/campaigns/test_reply_links.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from intake.bootstrap import Runtime
from intake.sender_history import sender_history
from intake.storage.models import Contributor, OutboundStatus
from tests.conftest import FIXED_NOW
from tests.intake.campaigns.test_reply_links import DAYS, sent_message
from tests.intake.synthetic_people import DAY, add_consultation
from tests.intake.test_contributors import OTHER_SENDER, feedback, person


def people(runtime: Runtime) -> tuple[list[int], tuple[int, int]]:
    """Three people: one with languages and invitations of every kind that counts and does not,
    one with only a preferred language, one with nothing; and the two consultations the first
    was invited to in time."""
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
    return [someone, quiet, nobody], (first, second)


def test_both_are_read_in_one_statement_each_as_the_rules_say(runtime: Runtime) -> None:
    ids, (first, second) = people(runtime)
    answers = []
    for contributor_id in ids:
        with runtime.sessions() as session:
            contributor = session.get_one(Contributor, contributor_id)
            sent: list[str] = []
            event.listen(session.connection(), "before_cursor_execute",
                         lambda *args, sent=sent: sent.append(args[2]))
            answers.append(sender_history(session, contributor, FIXED_NOW, DAYS))
        assert len(sent) == 1
    someone, quiet, nobody = answers
    assert someone == ({"sk": 3.0, "cs": 1.0}, tuple(sorted((first, second))))
    assert quiet == ({"ur": 2.0}, ())
    assert nobody == ({}, ())


def test_an_item_tagged_again_is_left_out_of_its_senders_languages(runtime: Runtime) -> None:
    someone = person(runtime)
    feedback(runtime, someone, "sk")
    again = feedback(runtime, someone, "cs")
    with runtime.sessions() as session:
        contributor = session.get_one(Contributor, someone)
        assert sender_history(session, contributor, FIXED_NOW, DAYS)[0] == {"sk": 1.0, "cs": 1.0}
        assert sender_history(session, contributor, FIXED_NOW, DAYS,
                              exclude_feedback_id=again)[0] == {"sk": 1.0}


def test_a_stranger_has_no_history_and_nothing_is_read(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        sent: list[str] = []
        event.listen(session.connection(), "before_cursor_execute",
                     lambda *args: sent.append(args[2]))
        assert sender_history(session, None, FIXED_NOW, DAYS) == ({}, ())
    assert sent == []
