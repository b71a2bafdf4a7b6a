"""Getting a preloaded app ready for gunicorn's fork (``deploy/gunicorn.conf.py``).

With ``preload_app`` the master builds the app once and forks its workers from it: what
the master loads, the workers share (copy-on-write) instead of each loading its own copy.
So the master loads the postal tables, compiles every template and loads, for the
content revision of the moment, the published campaigns and every riding with its member
(a worker loads them again only after an edit), then closes its
database pool and the queue's connection (a SQLite file used through one connection by
two processes gets corrupted; each worker opens its own), and moves everything built so
far out of the garbage collector's reach (``gc.freeze``): its full passes would otherwise
cost ~90 ms at random moments and write to every shared page.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from callmp.campaigns import running
from callmp.db import utcnow
from callmp.job_queue import close_queue
from callmp.models import Campaign, CampaignStatus
from callmp.views.context import postal_index, services

log = logging.getLogger(__name__)


def ready_to_fork(app: Flask) -> None:
    """Load what workers share, close every connection, freeze the heap; safe to repeat."""
    with app.app_context():
        postal_index()
        for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
            app.jinja_env.get_template(name)
        _load_content(app)
    services(app).revision.close()
    services(app).engine.dispose()
    services(app).probe_engine.dispose()
    close_queue(services(app).queue)
    gc.freeze()


def _load_content(app: Flask) -> None:
    """Keep the published campaigns and every riding with its member, as of now's content
    revision. A database not made yet (the app started before ``flask db upgrade``) is
    not an error here: the workers load what they need once it is there."""
    built = services(app)
    try:
        with built.sessions() as session:
            revision = running.content_revision(session)
            built.running.ridings(session, revision, ())  # loads every riding, once
            published = select(Campaign.slug).where(Campaign.status == CampaignStatus.published)
            for slug in session.scalars(published).all():
                built.running.get(session, revision, slug, utcnow())
    except SQLAlchemyError as error:
        log.warning("Not preloading campaigns and ridings: %s", type(error).__name__)
