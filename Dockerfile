# syntax=docker/dockerfile:1
# CallMP's image: one image for the web server (the default command) and the queue
# worker ("flask --app wsgi worker"). Build: docker build -t callmp .
# The app runs from /app, where templates/, static/ and data/ sit beside the callmp
# package (callmp/config.py finds them there); /opt/venv holds the dependencies only.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: the dependencies in a virtualenv, the translations compiled -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# The dependencies first, from pyproject.toml alone: this layer is rebuilt only when they
# change, not at every change of the code.
COPY pyproject.toml ./
RUN python -m venv /opt/venv \
 && python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
 && /opt/venv/bin/pip install --requirement /tmp/requirements.txt
COPY callmp ./callmp
# .mo files are not in git (.gitignore): compile them here. Then byte-compile the code,
# since the runtime's file system is read-only and PYTHONDONTWRITEBYTECODE is set.
RUN /opt/venv/bin/pybabel compile --directory callmp/translations \
 && /opt/venv/bin/python -m compileall -q callmp

# -- runtime: the virtualenv, the app, its templates and the shipped data; no compilers -----
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLASK_APP=wsgi \
    GUNICORN_BIND=0.0.0.0:8000 \
    CALLMP_DATA_DIR=/app/data
# A TrueType font with accents for the drawn share images (French titles keep their
# accents; see CALLMP_SHARE_IMAGE_FONT).
RUN apt-get update \
 && apt-get install --yes --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# A system user with a fixed id (10001), so volumes and Kubernetes' runAsNonRoot agree.
# /var/lib/callmp is its state folder (a SQLite database, the local queue, the outbox:
# none is used with the compose file's PostgreSQL, Redis and SMTP).
RUN groupadd --system --gid 10001 callmp \
 && useradd --system --uid 10001 --gid callmp --home-dir /var/lib/callmp \
      --no-create-home --shell /usr/sbin/nologin callmp \
 && install -d -o callmp -g callmp -m 0750 /var/lib/callmp /var/lib/callmp/photos /app/instance
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/callmp ./callmp
COPY templates ./templates
COPY static ./static
COPY data ./data
COPY wsgi.py ./
COPY deploy/entrypoint.sh deploy/gunicorn.conf.py ./deploy/
USER 10001:10001
EXPOSE 8000
# Liveness only (/healthz does no database work); the worker's service replaces it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gunicorn", "--config", "/app/deploy/gunicorn.conf.py", "wsgi:app"]
