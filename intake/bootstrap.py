"""The one place that wires settings, configuration, database and services together.

The web app, the CLI and the tests all build their runtime here, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from intake.config import Config, load_config
from intake.ingest import Intake
from intake.observability.measured import MeasuredIntake
from intake.pipeline import Taggers
from intake.pipeline.stages import themes
from intake.settings import Settings
from intake.storage.database import make_engine, make_sessions


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    intake: Intake

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings | None = None, config: Config | None = None,
                  engine: Engine | None = None) -> Runtime:
    settings = settings or Settings.from_env()
    config = config or load_config()
    engine = engine or make_engine(settings.database_url)
    sessions = make_sessions(engine)
    taggers = Taggers(config, service_model_path=config.service_model.path_in(settings.models_dir),
                      theme_model_path=settings.models_dir / themes.MODEL_FILE)
    return Runtime(settings=settings, config=config, engine=engine, sessions=sessions,
                   intake=MeasuredIntake(sessions, config, settings.vault(), taggers=taggers))
