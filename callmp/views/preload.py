"""Getting a preloaded app ready for gunicorn's fork (``deploy/gunicorn.conf.py``).

With ``preload_app`` the master builds the app once and forks its workers from it: what
the master loads, the workers share (copy-on-write) instead of each loading its own copy.
So the master loads the postal tables and compiles every template, then closes its
database pool and the queue's connection (a SQLite file used through one connection by
two processes gets corrupted; each worker opens its own), and moves everything built so
far out of the garbage collector's reach (``gc.freeze``): its full passes would otherwise
cost ~90 ms at random moments and write to every shared page.
"""

from __future__ import annotations

import gc

from flask import Flask

from callmp.job_queue import close_queue
from callmp.views.context import postal_index, services


def ready_to_fork(app: Flask) -> None:
    """Load what workers share, close every connection, freeze the heap; safe to repeat."""
    with app.app_context():
        postal_index()
        for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
            app.jinja_env.get_template(name)
    services(app).engine.dispose()
    services(app).probe_engine.dispose()
    close_queue(services(app).queue)
    gc.freeze()
