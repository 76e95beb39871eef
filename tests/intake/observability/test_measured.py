"""Messages counted and stages timed from outside the pipeline: each message received once (a
provider's repeat counted as a duplicate), each final state counted when it commits, each stage's
time observed, and the stages themselves untouched."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from intake import pipeline
from intake.bootstrap import Runtime
from intake.message import IncomingMessage
from intake.observability.measured import MeasuredIntake, count_final_states
from intake.pipeline import STAGES, PipelineContext
from intake.storage.models import InboundState

CHANNEL = "measured-test"  # a channel of its own: the counters are shared by the whole test run


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def received(duplicate: str) -> float:
    return value("intake_messages_received_total", channel=CHANNEL, duplicate=duplicate)


def finished(state: str) -> float:
    return value("intake_messages_finished_total", channel=CHANNEL, state=state)


def stage_count(stage: str) -> float:
    return value("intake_pipeline_stage_seconds_count", stage=stage)


def message(pid: str, text: str = "My GP surgery never answers the phone") -> IncomingMessage:
    return IncomingMessage(channel=CHANNEL, provider_message_id=pid, text=text,
                           sender="+447700900123")


def test_the_runtime_is_measured(runtime: Runtime) -> None:
    assert isinstance(runtime.intake, MeasuredIntake)


def test_a_message_is_counted_once_and_its_repeat_as_a_duplicate(runtime: Runtime) -> None:
    before = (received("false"), received("true"), finished("processed"))
    first = runtime.intake.ingest(message("m-1"))
    again = runtime.intake.ingest(message("m-1"))
    assert first.state == InboundState.PROCESSED and again.duplicate
    assert (received("false"), received("true"), finished("processed")) == (
        before[0] + 1, before[1] + 1, before[2] + 1)


def test_a_queued_message_is_counted_as_finished_once_the_worker_processes_it(
        runtime: Runtime) -> None:
    before = (received("false"), finished("processed"), finished("queued"))
    runtime.intake.queue(message("q-1"))
    assert (received("false"), finished("processed")) == (before[0] + 1, before[1])
    runtime.intake.process_queued()
    assert (finished("processed"), finished("queued")) == (before[1] + 1, before[2])


def test_an_imports_batch_is_counted_as_one_by_one(runtime: Runtime) -> None:
    """Three new messages, one of them twice in the batch, one already stored: what receiving
    each in turn would count."""
    runtime.intake.ingest(message("b-0"))
    before = (received("false"), received("true"), finished("processed"))
    batch = [message("b-1"), message("b-2"), message("b-1"), message("b-0"), message("b-3")]
    results = runtime.intake.ingest_many(batch)
    assert [r.duplicate for r in results] == [False, False, True, True, False]
    assert (received("false"), received("true"), finished("processed")) == (
        before[0] + 3, before[1] + 2, before[2] + 3)


def test_every_stage_is_timed_for_each_message(runtime: Runtime) -> None:
    before = {stage.name: stage_count(stage.name) for stage in STAGES}
    runtime.intake.ingest(message("m-2"))
    assert {stage.name: stage_count(stage.name) - before[stage.name] for stage in STAGES} == \
        {stage.name: 1 for stage in STAGES}


def test_rejected_ignored_and_failed_are_counted_by_state(runtime: Runtime,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    before = {state: finished(state) for state in ("rejected", "ignored", "failed", "processed")}
    assert runtime.intake.ingest(message("m-3", text="   ")).state == InboundState.REJECTED
    inbound_id, _ = runtime.intake.receive(message("m-4", text="STOP"))
    assert runtime.intake.mark_ignored(inbound_id, "opt-out keyword")
    assert not runtime.intake.mark_ignored(inbound_id, "again")  # no second count

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a tagger crashed")

    monkeypatch.setattr(pipeline, "run", broken)
    assert runtime.intake.ingest(message("m-5")).state == InboundState.FAILED
    assert {state: finished(state) - before[state] for state in before} == {
        "rejected": 1, "ignored": 1, "failed": 1, "processed": 0}


def test_a_rolled_back_state_change_is_not_counted(runtime: Runtime) -> None:
    from intake.storage.models import InboundMessage

    inbound_id, _ = runtime.intake.receive(message("m-6"))
    before = finished("processed")
    with runtime.sessions() as session:
        record = session.get_one(InboundMessage, inbound_id)
        record.state = InboundState.PROCESSED
        session.flush()
        session.rollback()
    assert finished("processed") == before


def test_a_settled_message_changed_later_is_not_counted_again(runtime: Runtime) -> None:
    """Erasure marks a processed message ignored: that is not a second outcome."""
    from intake.storage.models import InboundMessage

    result = runtime.intake.ingest(message("m-8"))
    before = (finished("ignored"), finished("processed"))
    with runtime.sessions.begin() as session:
        session.get_one(InboundMessage, result.inbound_id).state = InboundState.IGNORED
    assert (finished("ignored"), finished("processed")) == before


def test_the_pipeline_times_nothing_unless_asked(runtime: Runtime) -> None:
    """The stages stay pure: only a context with a timer is told anything."""
    context = PipelineContext.offline(runtime.config, runtime.intake.taggers)
    seen: list[tuple[str, float]] = []
    plain = pipeline.run(message("m-7"), context)
    timed = pipeline.run(message("m-7"), PipelineContext(
        config=context.config, taggers=context.taggers,
        on_stage=lambda name, seconds: seen.append((name, seconds))))
    assert [name for name, _ in seen] == [stage.name for stage in STAGES]
    assert all(seconds >= 0 for _, seconds in seen)
    assert timed.tags == plain.tags and timed.redacted_text == plain.redacted_text


def test_every_new_session_factory_is_counted(runtime: Runtime) -> None:
    """A factory made where a collected one lived still gets its own listeners (SQLAlchemy's
    event registry, keyed by id(), said such a factory was already listened to, and a long test
    run or a service that rebuilt its runtime stopped counting final states)."""
    import gc

    from intake.storage.database import make_sessions
    from intake.storage.models import InboundMessage

    inbound_id, _ = runtime.intake.receive(message("m-9"))
    for _attempt in range(20):
        sessions = make_sessions(runtime.engine)
        count_final_states(sessions)
        before = finished("processed")
        with sessions.begin() as session:
            session.get_one(InboundMessage, inbound_id).state = InboundState.PROCESSED
        assert finished("processed") == before + 1
        with sessions.begin() as session:
            session.get_one(InboundMessage, inbound_id).state = InboundState.RECEIVED
        del sessions, session
        gc.collect()
