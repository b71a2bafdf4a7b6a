import gc

from callmp import create_app
from callmp.job_queue import close_queue
from callmp.views.context import postal_index, services

app = create_app()
with app.app_context():
    # Loaded here, so that gunicorn's preloading master loads them once and its workers
    # share them: the postal tables and the compiled templates of the public pages.
    postal_index()
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
        app.jinja_env.get_template(name)
# No connection may cross a fork (a SQLite file used through one connection by two
# processes gets corrupted): the database's and the queue's are closed; a worker opens
# its own. tests/deploy/test_gunicorn_conf.py checks that nothing is left open.
services(app).engine.dispose()
close_queue(services(app).queue)
# Everything built so far lives as long as the process: keep it out of the cyclic garbage
# collector's full passes, which otherwise cost ~90 ms at random moments (dashboard pages),
# and out of the pages they would write to (copy-on-write after gunicorn's fork).
gc.freeze()
