"""The service layer: store first, never lose, never double-count, tag and route."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select, text

from intake import pipeline
from intake.bootstrap import Runtime, build_runtime
from intake.config import Config
from intake.config.schema import ServiceModelSettings
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.ingest import IngestResult, Intake
from intake.message import Answers, Consent, FftRating, IncomingMessage
from intake.pipeline import Taggers
from intake.settings import Settings
from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    Consultation,
    ConsultationStatus,
    ContactAddress,
    Contributor,
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    InboundMessage,
    InboundState,
    RecordedNeed,
    Tag,
)
from intake.taggers.service_model import ServiceModel
from tests.conftest import FIXED_NOW, sqlite_writable
from tests.intake.taggers.synthetic_services import examples
from tests.statements_sent import statements_sent

SENDER = "+447700900123"


def message(text: str = "My GP surgery never answers the phone", *, pid: str = "m-1",
            **answers: object) -> IncomingMessage:
    return IncomingMessage(channel="sms", provider_message_id=pid, text=text, sender=SENDER,
                           answers=Answers(**answers))  # type: ignore[arg-type]


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def active(runtime: Runtime, reference: str, kind: str) -> set[str]:
    with runtime.sessions() as session:
        item = session.scalar(select(Feedback).where(Feedback.reference == reference))
        assert item is not None
        return {t.value for t in item.tags if t.kind == kind and t.retracted_at is None}


def test_a_message_becomes_tagged_feedback(runtime: Runtime) -> None:
    result = runtime.intake.ingest(message())
    assert result.state == InboundState.PROCESSED and not result.duplicate
    assert result.reference is not None and result.reference.startswith("FB-")
    assert active(runtime, result.reference, "service") == {"gp"}
    assert active(runtime, result.reference, "language") == {"en"}
    with runtime.sessions() as session:
        item = session.scalar(select(Feedback))
        assert item is not None and item.status == "new" and item.channel == "sms"
        assert session.scalar(select(AuditEvent.action)) == "feedback.created"


def test_the_raw_payload_and_address_are_encrypted_at_rest(runtime: Runtime) -> None:
    runtime.intake.ingest(message("Call me on 07700 900123 about my GP"))
    with runtime.engine.connect() as connection:
        payload = connection.execute(text("SELECT payload_encrypted FROM inbound_message")).scalar()
        address = connection.execute(text("SELECT address_encrypted FROM contact_address")).scalar()
        hashes = connection.execute(text("SELECT address_hash FROM contact_address")).scalar()
        redacted = connection.execute(text("SELECT redacted_text FROM feedback")).scalar()
    assert "07700" not in payload and SENDER not in payload
    assert SENDER not in address and SENDER not in hashes
    assert runtime.settings.vault().decrypt(address) == SENDER
    assert "07700" not in redacted and "[phone number]" in redacted


def test_a_retried_delivery_is_answered_the_same_and_stored_once(runtime: Runtime) -> None:
    first = runtime.intake.ingest(message())
    again = runtime.intake.ingest(message())
    assert again.duplicate and again.reference == first.reference
    assert count(runtime, InboundMessage) == 1 and count(runtime, Feedback) == 1


def test_the_same_id_on_another_channel_is_another_message(runtime: Runtime) -> None:
    runtime.intake.ingest(message())
    runtime.intake.ingest(replace(message(), channel="telegram"))
    assert count(runtime, InboundMessage) == 2


def test_concurrent_deliveries_of_one_message_make_one_record(runtime: Runtime) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: runtime.intake.ingest(message(pid="same")), range(12)))
    assert count(runtime, InboundMessage) == 1
    assert count(runtime, Feedback) == 1
    assert sum(not r.duplicate for r in results) == 1


def test_a_pipeline_crash_keeps_the_message_and_reprocess_completes_it(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_text: str, _prior: object = None) -> None:
        raise RuntimeError("language model unavailable")

    monkeypatch.setattr(runtime.intake.taggers.language, "detect", broken)
    result = runtime.intake.ingest(message())
    assert result.state == InboundState.FAILED
    assert "language model unavailable" in (result.error or "")
    assert count(runtime, InboundMessage) == 1 and count(runtime, Feedback) == 0
    assert runtime.intake.pending_inbound() == [result.inbound_id]

    monkeypatch.undo()
    retried = runtime.intake.retry(result.inbound_id)
    assert retried.state == InboundState.PROCESSED and retried.reference
    assert count(runtime, Feedback) == 1 and runtime.intake.pending_inbound() == []
    with runtime.sessions() as session:
        assert session.get_one(InboundMessage, result.inbound_id).attempts == 2


def test_the_raw_message_is_stored_by_one_statement_that_commits_itself_on_postgresql(
        runtime: Runtime) -> None:
    """No BEGIN and COMMIT round trips around the INSERT on PostgreSQL (SQLite has no round
    trips to save), and nothing left open: a second connection sees the row at once, and a
    repeat delivery is still one row."""
    with statements_sent(runtime.engine) as sent:
        inbound_id, duplicate = runtime.intake.receive(message())
        again = runtime.intake.receive(message())
    levels = [level for statement, level in sent if "INSERT INTO inbound_message" in statement]
    expected = "AUTOCOMMIT" if runtime.engine.dialect.name == "postgresql" else None
    assert levels == [expected, expected]
    assert not duplicate and again == (inbound_id, True)
    with runtime.engine.connect() as other:
        assert other.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == 1


def test_a_new_message_is_processed_without_reading_its_row_back(runtime: Runtime) -> None:
    """``ingest`` processes the row and the JSON it has just stored; a repeat delivery, and
    ``process`` of a stored id, read the row."""
    writes: list[str] = []
    reads = selects_during(runtime, lambda: runtime.intake.ingest(message(pid="a")), writes)
    assert not [s for s in reads if "FROM inbound_message" in s]
    # and its row is written twice: stored, then processed (state and attempts together)
    assert [s.split()[0] for s in writes
            if s.startswith(("INSERT INTO inbound_message ", "UPDATE inbound_message "))] == [
        "INSERT", "UPDATE"]
    with runtime.sessions() as session:
        record = session.scalar(select(InboundMessage))
        assert record is not None
        assert (record.state, record.attempts, record.error) == (InboundState.PROCESSED, 1, None)
        item = session.scalar(select(Feedback))
        assert item is not None and item.inbound_message_id == record.id
        assert item.text == message().text and item.received_at == record.received_at
    again: list[IngestResult] = []
    reads = selects_during(runtime, lambda: again.append(runtime.intake.ingest(message(pid="a"))))
    assert again[0].duplicate and again[0].reference == item.reference
    assert [s for s in reads if "FROM inbound_message" in s]


def test_a_message_received_but_never_processed_is_found_and_completed(runtime: Runtime) -> None:
    inbound_id, duplicate = runtime.intake.receive(message())
    assert not duplicate and runtime.intake.pending_inbound() == [inbound_id]
    assert runtime.intake.retry(inbound_id).state == InboundState.PROCESSED


def test_input_that_cannot_be_feedback_is_rejected_with_a_reason_and_kept(runtime: Runtime) -> None:
    result = runtime.intake.ingest(message("x" * 6000))
    assert result.state == InboundState.REJECTED
    assert "6,000 characters" in (result.error or "")
    assert count(runtime, InboundMessage) == 1 and count(runtime, Feedback) == 0
    assert runtime.intake.pending_inbound() == []
    assert runtime.intake.pending_inbound(include_rejected=True) == [result.inbound_id]


def test_one_person_one_contributor_across_messages(runtime: Runtime) -> None:
    runtime.intake.ingest(message(pid="a"))
    runtime.intake.ingest(message("The pharmacy was great", pid="b"))
    runtime.intake.ingest(replace(message(pid="c"), sender="+447700900999"))
    assert count(runtime, Contributor) == 2 and count(runtime, ContactAddress) == 2


def test_processing_a_known_senders_message_reads_their_address_once(runtime: Runtime) -> None:
    """Their languages, their invitations and the item's contributor all come from one read."""
    runtime.intake.ingest(message(pid="a"))
    results: list[IngestResult] = []
    reads = selects_during(runtime, lambda: results.append(
        runtime.intake.ingest(message("The pharmacy was great", pid="b"))))
    assert results[0].state == InboundState.PROCESSED
    assert len([s for s in reads if "FROM contact_address" in s]) == 1
    with runtime.sessions() as session:
        assert len(set(session.scalars(select(Feedback.contributor_id)))) == 1


def test_processing_a_known_senders_message_reads_their_contributor_with_their_address(
        runtime: Runtime) -> None:
    """Their preferred language comes from that read too, not from a second one."""
    runtime.intake.ingest(message(pid="a", language="pl"))
    reads = selects_during(runtime, lambda: runtime.intake.ingest(message("Dobrze", pid="b")))
    assert not [s for s in reads if s.split(" FROM ", 1)[1].lstrip().startswith("contributor ")]


def test_no_needs_stated_means_the_needs_held_are_not_read(runtime: Runtime) -> None:
    runtime.intake.ingest(message(pid="a", needs=("easy-read",)))
    reads = selects_during(runtime, lambda: runtime.intake.ingest(message(pid="b")))
    assert not [s for s in reads if "FROM recorded_need" in s]
    reads = selects_during(runtime, lambda: runtime.intake.ingest(
        message(pid="c", needs=("large-print",))))
    assert [s for s in reads if "FROM recorded_need" in s]
    assert count(runtime, RecordedNeed) == 2


def test_a_new_item_is_stored_with_one_insert_per_table_and_no_reference_look_up(
        runtime: Runtime) -> None:
    """As `intake import` stores a batch: a finishing SMS turn spent most of its time in the
    ORM's work for each new row, and in reading whether a fresh reference was taken."""
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    runtime.intake.ingest(message(pid="a"))
    writes: list[str] = []
    results: list[IngestResult] = []
    reads = selects_during(runtime, lambda: results.append(runtime.intake.ingest(message(
        "The GP and the midwife were both lovely", pid="b", needs=("large-print",)))), writes)
    assert results[0].state == InboundState.PROCESSED and results[0].reference
    assert not [s for s in reads if s.split(" FROM ", 1)[1].lstrip().startswith("feedback ")]
    inserts = [s.split(" (", 1)[0] for s in writes if s.startswith("INSERT")]
    assert len(inserts) == len(set(inserts))        # one statement per table, rows and all
    with runtime.sessions() as session:
        item = session.scalars(select(Feedback).where(
            Feedback.reference == results[0].reference)).one()
        assert len([t for t in item.tags if t.kind == "service"]) >= 2
        assert item.contributor is not None
        assert session.scalar(select(func.count()).select_from(FeedbackTrackerLink).where(
            FeedbackTrackerLink.feedback_id == item.id)) == 1


def selects_during(runtime: Runtime, action: Callable[[], object],
                   others: list[str] | None = None) -> list[str]:
    """The SELECT statements ``action`` sent to the database, flattened to one line each (and
    the other statements, into ``others`` if given)."""
    with statements_sent(runtime.engine) as sent:
        action()
    if others is not None:
        others.extend(statement for statement, _ in sent if not statement.startswith("SELECT"))
    return [statement for statement, _ in sent if statement.startswith("SELECT")]


def test_on_sqlite_processing_holds_the_write_lock_only_while_it_writes(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reads and the pipeline come first: meanwhile another process can write (every web
    worker's conversation turns wait for that lock). The last read is the consultation's id."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    runtime.intake.ingest(message(pid="a"))   # a known sender: their address is read too
    writable: list[bool] = []

    def another_writer() -> None:
        writable.append(sqlite_writable(runtime.engine.url.database or ""))

    run, consultation_id = pipeline.run, Intake._consultation_id

    def run_then_write(*args: object) -> object:
        another_writer()
        return run(*args)  # type: ignore[arg-type]

    def consultation_then_write(*args: object) -> object:
        found = consultation_id(*args)  # type: ignore[arg-type]
        another_writer()
        return found

    monkeypatch.setattr(pipeline, "run", run_then_write)
    monkeypatch.setattr(Intake, "_consultation_id", staticmethod(consultation_then_write))
    result = runtime.intake.ingest(message("The pharmacy was great", pid="b", needs=("large-print",),
                                           language="en", consultation="a-closed-one"))
    assert result.state == InboundState.PROCESSED
    assert writable == [True, True]
    with runtime.sessions() as session:
        assert session.scalar(select(InboundMessage.attempts)
                              .where(InboundMessage.id == result.inbound_id)) == 1


def test_answers_about_the_person_are_recorded(runtime: Runtime) -> None:
    consent = Consent(purpose="follow-up", granted=True, wording_version="2026-10")
    runtime.intake.ingest(message(language="ur", needs=("bsl-interpreter",),
                                  fft_rating=FftRating.GOOD, consents=(consent,)))
    with runtime.sessions() as session:
        person = session.scalar(select(Contributor))
        assert person is not None and person.preferred_language == "ur"
        assert [(c.purpose, c.granted, c.wording_version) for c in person.consents] == [
            ("follow-up", True, "2026-10")]
        assert [(n.need, n.code) for n in person.needs] == [("bsl-interpreter", "204331000000107")]
        assert session.scalar(select(Feedback.fft_rating)) == "good"


def test_a_carers_needs_for_someone_else_are_not_recorded_against_the_carer(
        runtime: Runtime) -> None:
    runtime.intake.ingest(message(needs=("bsl-interpreter",), on_behalf_of=True))
    assert count(runtime, RecordedNeed) == 0
    assert count(runtime, ConsentRecord) == 0
    with runtime.sessions() as session:
        assert session.scalar(select(Feedback.on_behalf_of)) is True


def test_routing_links_to_tracker_items_and_open_consultations(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    gp = runtime.intake.ingest(message())
    birth = runtime.intake.ingest(message("The midwife was lovely", pid="m-2"))
    entry = runtime.intake.ingest(message("Parking was hard", pid="m-3",
                                          consultation=DEMO_CONSULTATION_SLUG))
    with runtime.sessions() as session:
        tracker = session.scalars(select(FeedbackTrackerLink)).all()
        consult = {link.feedback_id: link.rule_id
                   for link in session.scalars(select(FeedbackConsultationLink))}
        by_ref = {f.reference: f for f in session.scalars(select(Feedback))}
    assert [(link.feedback_id, link.rule_id) for link in tracker] == [
        (by_ref[gp.reference].id, "tracker-by-service")]
    assert consult == {by_ref[birth.reference].id: "consultation-by-service",
                       by_ref[entry.reference].id: "consultation-entry-point"}
    assert by_ref[entry.reference].consultation_id is not None


def test_a_consultations_id_comes_from_routings_read_unless_it_is_reported(
        runtime: Runtime) -> None:
    """Routing reads every consultation not yet reported, with its slug: the item's consultation
    is found there, and only a reported one's slug is read on its own."""
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
        session.add(Consultation(slug="last-winter", title="Last winter",
                                 status=ConsultationStatus.REPORTED))
    by_slug: list[str] = []
    for pid, slug in (("open", DEMO_CONSULTATION_SLUG), ("reported", "last-winter")):
        reads = selects_during(runtime, lambda pid=pid, slug=slug: runtime.intake.ingest(
            message("Parking was hard", pid=pid, consultation=slug)))
        by_slug.extend(slug for s in reads if "WHERE consultation.slug =" in s)
    assert by_slug == ["last-winter"]
    with runtime.sessions() as session:
        ids = {slug: i for slug, i in session.execute(select(Consultation.slug, Consultation.id))}
        items = {pid: i for pid, i in session.execute(
            select(InboundMessage.provider_message_id, Feedback.consultation_id)
            .join(Feedback, Feedback.inbound_message_id == InboundMessage.id))}
    assert items == {"open": ids[DEMO_CONSULTATION_SLUG], "reported": ids["last-winter"]}


def test_retag_is_idempotent_and_keeps_peoples_tags(runtime: Runtime) -> None:
    chosen = runtime.intake.ingest(message("It was fine", services=("dental",), pid="x"))
    runtime.intake.ingest(message(pid="y"))
    assert runtime.intake.retag() == (2, 0, 0, 0)
    assert chosen.reference is not None
    assert active(runtime, chosen.reference, "service") == {"dental"}


def test_a_second_worker_finishing_first_does_not_turn_success_into_failure(
        runtime: Runtime) -> None:
    inbound_id, _ = runtime.intake.receive(message())
    winner = runtime.intake.process(inbound_id)
    # The loser read the row as `received` before the winner committed, then hit the unique
    # feedback row: simulate by setting the state back and processing again.
    with runtime.sessions.begin() as session:
        session.get_one(InboundMessage, inbound_id).state = InboundState.RECEIVED
    loser = runtime.intake.process(inbound_id)
    assert loser.state == InboundState.PROCESSED and loser.reference == winner.reference
    with runtime.sessions() as session:
        assert session.get_one(InboundMessage, inbound_id).state == InboundState.PROCESSED
    assert count(runtime, Feedback) == 1


def test_retag_skips_items_whose_answers_the_configuration_no_longer_accepts(
        runtime: Runtime) -> None:
    runtime.intake.ingest(message(services=("dental",), pid="a"))
    runtime.intake.ingest(message(pid="b"))
    narrowed = replace(runtime.config, services=tuple(
        s for s in runtime.config.services if s.id != "dental"))
    runtime.intake.config = narrowed
    runtime.intake.taggers = Taggers(narrowed)
    assert runtime.intake.retag() == (1, 0, 0, 1)


# --- the learned service model: used when saved, never a reason to lose a message ----------------

MODEL_SETTINGS = ServiceModelSettings(min_examples=20, min_examples_per_service=10)
NO_KEYWORD = "The hygienist said my gums need more treatment"


def runtime_with_model_file(settings: Settings, config: Config, engine: Engine,
                            content: bytes | None) -> Runtime:
    """A runtime built the normal way, with a model file (or a trained model) in its models dir."""
    path = config.service_model.path_in(settings.models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        texts, labels = examples()
        ServiceModel.train(texts, labels, MODEL_SETTINGS).save(path)
    else:
        path.write_bytes(content)
    built = build_runtime(settings=settings, config=config, engine=engine)
    built.intake.clock = lambda: FIXED_NOW
    return built


def test_a_saved_service_model_tags_what_keywords_miss(
        settings: Settings, config: Config, engine: Engine) -> None:
    runtime = runtime_with_model_file(settings, config, engine, None)
    learned = runtime.intake.ingest(message(NO_KEYWORD, pid="learned"))
    keyword = runtime.intake.ingest(message(pid="keyword"))
    assert learned.reference is not None and keyword.reference is not None
    assert active(runtime, learned.reference, "service") == {"dental"}
    assert active(runtime, keyword.reference, "service") == {"gp"}
    with runtime.sessions() as session:
        tag = session.scalar(select(Tag).where(Tag.kind == "service", Tag.value == "dental"))
        assert tag is not None and tag.tagger_version == "service-model@1" and tag.source == "auto"


def test_a_broken_service_model_file_never_loses_a_message(
        settings: Settings, config: Config, engine: Engine) -> None:
    runtime = runtime_with_model_file(settings, config, engine, b"PK\x03\x04 half a model")
    learned = runtime.intake.ingest(message(NO_KEYWORD, pid="learned"))
    keyword = runtime.intake.ingest(message(pid="keyword"))
    assert learned.state == keyword.state == InboundState.PROCESSED
    assert learned.reference is not None and keyword.reference is not None
    assert active(runtime, learned.reference, "service") == set()  # waits for a person
    assert active(runtime, keyword.reference, "service") == {"gp"}


# -- tagging in `intake worker` (INTAKE_TAGGING=worker) ----------------------------------------

def test_a_queued_message_keeps_its_reference_until_the_worker_makes_it_feedback(
        runtime: Runtime) -> None:
    queued = runtime.intake.queue(message())
    assert queued.state == InboundState.QUEUED and queued.feedback_id is None
    assert queued.reference is not None and queued.reference.startswith("FB-")
    assert count(runtime, Feedback) == 0

    (done,) = runtime.intake.process_queued()

    assert (done.inbound_id, done.state, done.reference) == (
        queued.inbound_id, InboundState.PROCESSED, queued.reference)
    assert active(runtime, queued.reference, "service") == {"gp"}
    assert runtime.intake.process_queued() == []
    assert count(runtime, Feedback) == 1


def test_a_repeated_queued_delivery_gets_the_first_reference_before_and_after_tagging(
        runtime: Runtime) -> None:
    first = runtime.intake.queue(message())
    again = runtime.intake.queue(message())
    assert again.duplicate and (again.state, again.reference) == (InboundState.QUEUED,
                                                                  first.reference)
    runtime.intake.process_queued()
    later = runtime.intake.queue(message())
    assert later.duplicate and (later.state, later.reference) == (InboundState.PROCESSED,
                                                                  first.reference)
    assert later.feedback_id is not None
    assert count(runtime, Feedback) == 1 and count(runtime, InboundMessage) == 1


def test_the_worker_processes_queued_messages_in_batches_oldest_first(runtime: Runtime) -> None:
    queued = [runtime.intake.queue(message(f"text {n} about my GP", pid=f"q-{n}"))
              for n in range(5)]
    first = runtime.intake.process_queued(limit=3)
    rest = runtime.intake.process_queued(limit=3)
    assert [r.inbound_id for r in first] == [q.inbound_id for q in queued[:3]]
    assert [r.inbound_id for r in rest] == [q.inbound_id for q in queued[3:]]
    assert [r.reference for r in first + rest] == [q.reference for q in queued]
    assert count(runtime, Feedback) == 5


def test_concurrent_workers_each_claim_a_queued_message_once(runtime: Runtime) -> None:
    for n in range(8):
        runtime.intake.queue(message(f"text {n} about my GP", pid=f"q-{n}"))

    def work() -> list[int]:
        done: list[int] = []
        while batch := runtime.intake.process_queued(limit=2):
            done += [r.inbound_id for r in batch]
        return done

    with ThreadPoolExecutor(max_workers=2) as pool:
        shares = [f.result() for f in [pool.submit(work) for _ in range(2)]]
    claimed = shares[0] + shares[1]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 8
    assert count(runtime, Feedback) == 8


def test_a_worker_that_dies_after_claiming_leaves_the_message_for_reprocess(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    queued = runtime.intake.queue(message())

    def crash(inbound_id: object) -> IngestResult:
        raise RuntimeError("the worker was killed")

    monkeypatch.setattr(runtime.intake, "process", crash)
    with pytest.raises(RuntimeError):
        runtime.intake.process_queued()
    monkeypatch.undo()

    assert runtime.intake.process_queued() == []      # claimed: not taken again by a worker
    assert runtime.intake.pending_inbound() == [queued.inbound_id]
    assert runtime.intake.retry(queued.inbound_id).reference == queued.reference


def test_a_reserved_reference_taken_meanwhile_gives_way_to_a_new_one(
        runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    queued = runtime.intake.queue(message())
    other = runtime.intake.ingest(message("The dentist was lovely", pid="m-2"))
    with runtime.sessions.begin() as session:
        session.get_one(Feedback, other.feedback_id).reference = queued.reference

    (done,) = runtime.intake.process_queued()

    assert done.state == InboundState.PROCESSED
    assert done.reference is not None and done.reference not in (queued.reference, None)
    assert count(runtime, Feedback) == 2
    assert "reserved reference was taken" in caplog.text


def test_on_sqlite_the_worker_holds_the_write_lock_only_while_it_writes_each_item(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued messages are tagged one by one: while the worker runs the pipeline on the next,
    the web workers' turns can write (a batch's transaction would hold the lock throughout)."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    for n in range(3):
        runtime.intake.queue(message(f"text {n} about my GP", pid=f"q-{n}"))
    writable: list[bool] = []
    run = pipeline.run

    def run_then_write(*args: object) -> object:
        writable.append(sqlite_writable(runtime.engine.url.database or ""))
        return run(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "run", run_then_write)
    assert len(runtime.intake.process_queued()) == 3
    assert writable == [True, True, True]


def test_a_queued_message_processed_in_a_batch_keeps_its_promised_reference(
        runtime: Runtime) -> None:
    queued = runtime.intake.queue(message())
    (done,) = runtime.intake.process_many([queued.inbound_id])
    assert (done.state, done.reference) == (InboundState.PROCESSED, queued.reference)
