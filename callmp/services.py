"""What the web app, the worker and the CLI share, built once per process from the config.

The database engine and its sessions, the shipped data's folder, the job queue, and the
call and mail services on that queue. No Flask here: the app keeps one ``Services`` (see
``callmp.views.context.services``), and scripts may build their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from huey.api import Huey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callmp.calls.service import CallService
from callmp.campaigns.running import RevisionReader, RunningCampaigns
from callmp.db import make_engine, make_probe_engine, make_session_factory
from callmp.directory.refresh_check import DataCheckService
from callmp.job_queue import make_queue
from callmp.letters.service import MailService
from callmp.ops.health import read_queue_depth
from callmp.ops.metrics import Metrics
from callmp.petitions.service import PetitionDeliveries


@dataclass
class Services:
    """One process's database, data folder, queue, and the call and mail services."""

    engine: Engine
    #: For the content revision read on every public request (``db.make_probe_engine``).
    probe_engine: Engine
    #: The content revision read (``running.RevisionReader``), on ``probe_engine``.
    revision: RevisionReader
    sessions: sessionmaker[Session]
    data_dir: Path
    queue: Huey
    calls: CallService
    mail: MailService
    metrics: Metrics
    #: The scheduled check of the data against the House of Commons (a periodic job).
    data_check: DataCheckService
    #: Running campaigns and what is made of them, per content revision (public pages).
    running: RunningCampaigns
    #: Petition deliveries: the schedule's periodic job, and "Deliver now".
    petitions: PetitionDeliveries

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Services:
        """Build everything ``config`` asks for; one queue for calls and mail, one worker."""
        engine = make_engine(config["DATABASE_URL"])
        sessions = make_session_factory(engine)
        queue = make_queue(config)
        metrics = Metrics(queue_depth=partial(read_queue_depth, queue, config))
        mail = MailService.from_config(config, sessions, queue, metrics)
        probe_engine = make_probe_engine(engine)
        return cls(
            engine=engine,
            probe_engine=probe_engine,
            revision=RevisionReader(engine, probe_engine),
            sessions=sessions,
            data_dir=Path(config["DATA_DIR"]),
            queue=queue,
            calls=CallService.from_config(config, sessions, queue, metrics),
            mail=mail,
            metrics=metrics,
            data_check=DataCheckService.from_config(config, sessions, queue, mail.sender),
            running=RunningCampaigns(),
            petitions=PetitionDeliveries(sessions, mail, queue).register(),
        )

    def close(self) -> None:
        """Release the providers' connections and the database pool."""
        self.calls.close()
        self.mail.close()
        self.revision.close()
        self.engine.dispose()
        self.probe_engine.dispose()
