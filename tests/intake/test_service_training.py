"""Training the service model from what staff confirmed: which tags become examples (and which
are left out, counted), cross-validation with the items no keyword tags judged apart, and the
saved file with its audit record. Synthetic text only."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.config import Config
from intake.config.schema import ServiceModelSettings
from intake.pipeline import Taggers
from intake.service_training import (
    TRAINED_ACTION,
    ConfirmedExamples,
    TrainedServiceModel,
    confirmed_examples,
    save_service_model,
    train_service_model,
)
from intake.storage.database import make_sessions
from intake.storage.models import AuditEvent, Feedback, StaffUser, Tag
from intake.taggers.service_model import NotEnoughData, ServiceModel
from tests.conftest import FIXED_NOW
from tests.intake.taggers.synthetic_services import OFF_TOPIC, examples

SMALL = ServiceModelSettings(min_examples=20, min_examples_per_service=10)
KEYWORD_TEXTS = {"My GP surgery never answers the phone": "gp",
                 "The pharmacy was shut again on Saturday": "pharmacy"}
_references = (f"FB-S{n:05d}" for n in itertools.count())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessions(engine)() as session:
        yield session


def add_item(session: Session, text: str, *tags: tuple[str, str], retracted: bool = False,
             redacted: str | None = None) -> int:
    """A feedback item with (service, source) tags; returns its id."""
    item = Feedback(reference=next(_references), channel="web", text=text,
                    redacted_text=text if redacted is None else redacted, received_at=FIXED_NOW,
                    pipeline_version="test")
    session.add(item)
    for service, source in tags:
        item.tags.append(Tag(kind="service", value=service, confidence=1.0, source=source,
                             created_by="staff:someone@example.test",
                             retracted_at=FIXED_NOW if retracted else None))
    session.flush()
    return item.id


def corpus() -> ConfirmedExamples:
    """The synthetic training corpus, a few texts a keyword tags, and off-topic 'other' ones."""
    texts, labels = examples()
    texts += [*KEYWORD_TEXTS, *OFF_TOPIC]
    labels += [*KEYWORD_TEXTS.values(), *["other"] * len(OFF_TOPIC)]
    return ConfirmedExamples(texts, labels, list(range(1, len(texts) + 1)), Counter(), 0)


@pytest.fixture(scope="module")
def trained(taggers: Taggers) -> TrainedServiceModel:
    return train_service_model(corpus(), SMALL, taggers.services, FIXED_NOW)


# -- the examples -------------------------------------------------------------------------------

def test_only_active_staff_service_tags_become_examples(session: Session, config: Config) -> None:
    nothing = confirmed_examples(session, config)
    assert (nothing.texts, nothing.labels, nothing.items, nothing.counts) == ([], [], [], Counter())
    confirmed = add_item(session, "The counter staff were helpful", ("pharmacy", "staff"))
    add_item(session, "Keyword guess only", ("gp", "auto"))
    add_item(session, "What the person chose", ("dental", "contributor"))
    add_item(session, "Staff changed their mind", ("gp", "staff"), retracted=True)
    other_kind = add_item(session, "Tagged with a language by staff")
    session.add(Tag(feedback_id=other_kind, kind="language", value="en", confidence=1.0, source="staff"))
    session.flush()
    found = confirmed_examples(session, config)
    assert (found.texts, found.labels, found.items) == (
        ["The counter staff were helpful"], ["pharmacy"], [confirmed])
    assert (found.unknown_services, found.blank_items) == (Counter(), 0)


def test_examples_are_the_original_text_in_item_order_one_per_service(session: Session,
                                                                      config: Config) -> None:
    earlier = add_item(session, "Phoned 07700 900123 for my prescription", ("pharmacy", "staff"),
                      ("gp", "staff"), ("gp", "staff"),      # the same tag twice is one example
                      redacted="Phoned [phone] for my prescription")
    later = add_item(session, "A later item", ("dental", "staff"))
    found = confirmed_examples(session, config)
    assert found.items == [earlier, earlier, later]
    assert found.labels == ["gp", "pharmacy", "dental"]            # by service within an item
    assert found.texts[0] == "Phoned 07700 900123 for my prescription"   # not the redacted copy
    assert found.counts == Counter({"gp": 1, "pharmacy": 1, "dental": 1})


def test_unknown_services_and_blank_items_are_left_out_and_counted(session: Session,
                                                                   config: Config) -> None:
    add_item(session, "Lost my way", ("spaceship", "staff"))
    add_item(session, "Lost again", ("spaceship", "staff"), ("teleport", "staff"))
    add_item(session, "", ("gp", "staff"), ("dental", "staff"))     # one item, two tags
    add_item(session, "  \n ", ("gp", "staff"))
    kept = add_item(session, "A real sentence", ("gp", "staff"))
    found = confirmed_examples(session, config)
    assert found.unknown_services == Counter({"spaceship": 2, "teleport": 1})
    assert found.blank_items == 2
    assert found.items == [kept]


# -- training -----------------------------------------------------------------------------------

def test_the_model_learns_the_services_with_enough_examples_and_never_other(
        trained: TrainedServiceModel) -> None:
    model = trained.model
    assert model.services == ("dental", "gp", "optometry", "pharmacy")
    assert model.examples == len(corpus().labels)
    assert model.example_counts["other"] == len(OFF_TOPIC)
    assert model.trained_at == FIXED_NOW
    assert model.predict("Rang the practice at eight and the phone line was engaged") is not None


def test_every_item_is_judged_and_the_unmatched_view_leaves_out_keyword_items(
        trained: TrainedServiceModel) -> None:
    examples_ = corpus()
    keyword_items = {item for item, text in zip(examples_.items, examples_.texts, strict=True)
                     if text in KEYWORD_TEXTS}
    assert trained.evaluation.items == len(examples_.items)
    assert trained.evaluation.folds == 5
    assert trained.unmatched.items == len(examples_.items) - len(keyword_items)
    assert not {j.item for j in trained.unmatched.judgements} & keyword_items
    assert trained.evaluation.precision is not None and trained.evaluation.precision >= 0.9


def test_services_to_never_predict_can_be_named(taggers: Taggers) -> None:
    trained = train_service_model(corpus(), SMALL, taggers.services, FIXED_NOW,
                                  never_predict={"other", "optometry"})
    assert "optometry" not in trained.model.services
    assert all(j.predicted != "optometry" for j in trained.evaluation.judgements)


def test_too_few_examples_are_refused_with_the_counts(taggers: Taggers) -> None:
    few = ConfirmedExamples(["Booked with the doctor"] * 3, ["gp"] * 3, [1, 2, 3], Counter(), 0)
    with pytest.raises(NotEnoughData) as refused:
        train_service_model(few, SMALL, taggers.services, FIXED_NOW)
    assert refused.value.counts == {"gp": 3}
    assert refused.value.needed >= 17


# -- saving -------------------------------------------------------------------------------------

def test_saving_writes_the_model_and_records_who_trained_it_on_what(
        session: Session, trained: TrainedServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    save_service_model(session, trained, path, "cli:tester", FIXED_NOW)
    session.commit()
    loaded = ServiceModel.load(path, SMALL)
    assert loaded.services == trained.model.services and loaded.examples == trained.model.examples
    assert path.stat().st_mode & 0o077 == 0                       # owner-only
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == TRAINED_ACTION))
    assert (event.actor, event.occurred_at, event.entity_type, event.entity_id) == (
        "cli:tester", FIXED_NOW, "model", "service-model.npz")
    details = event.details
    assert details["path"] == str(path)
    assert details["services"] == ["dental", "gp", "optometry", "pharmacy"]
    assert details["examples"] == trained.model.examples
    assert details["example_counts"] == trained.model.example_counts
    assert details["folds"] == 5 and details["min_confidence"] == SMALL.min_confidence
    assert details["precision"] == trained.evaluation.precision
    assert details["coverage"] == trained.evaluation.coverage
    assert details["unmatched_items"] == trained.unmatched.items
    assert details["unmatched_precision"] == trained.unmatched.precision
    assert details["unmatched_coverage"] == trained.unmatched.coverage
    assert details["format_version"] == trained.model.format_version
    assert details["sklearn_version"] == trained.model.sklearn_version


def test_a_long_file_name_is_cut_to_fit_the_audit_log(session: Session, trained: TrainedServiceModel,
                                                      tmp_path: Path) -> None:
    path = tmp_path / ("m" * 80 + ".npz")
    save_service_model(session, trained, path, "cli:tester", FIXED_NOW)
    session.commit()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == TRAINED_ACTION)).one()
    assert event.entity_id == "m" * 64
    assert event.details["path"] == str(path) and path.is_file()


def test_a_database_problem_stops_the_save_before_the_file_is_written(
        session: Session, trained: TrainedServiceModel, tmp_path: Path) -> None:
    for _ in range(2):    # two accounts with one address: the flush fails
        session.add(StaffUser(email="twin@example.test", display_name="Twin", role="viewer",
                              password_hash="-", created_at=FIXED_NOW))
    path = tmp_path / "service-model.npz"
    with pytest.raises(IntegrityError):
        save_service_model(session, trained, path, "cli:tester", FIXED_NOW)
    assert not path.exists()
