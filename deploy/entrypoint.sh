#!/bin/sh
# The image's entrypoint: make the database ready, then become the given command.
#
# "flask prepare" migrates the schema and imports the shipped data under a lock
# (PostgreSQL's advisory lock, or a file lock beside a SQLite file), so the web and worker
# containers may start at the same moment and a restart finds nothing to do. It never
# seeds the demo campaign. PREPARE=skip leaves it out (e.g. for "flask check", which
# should report a database that is down rather than wait for it).
#
#   entrypoint.sh gunicorn --config deploy/gunicorn.conf.py wsgi:app
#   entrypoint.sh flask --app wsgi worker
set -eu

if [ "$#" -eq 0 ]; then
  echo "entrypoint.sh: no command given" >&2
  exit 64
fi

if [ "${PREPARE:-run}" != "skip" ]; then
  flask --app wsgi prepare --wait "${PREPARE_WAIT:-60}"
fi

exec "$@"
