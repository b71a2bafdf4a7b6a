"""The probes for load balancers, and the request id every answer carries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from callmp.db import Base


def test_healthz_answers_without_the_database(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/callmp.sqlite3")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_is_ready_with_database_data_and_queue(client: FlaskClient) -> None:
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["checks"] == {"database": "ok", "data": "ok", "queue": "ok"}
    assert body["queue_depth"] == 0


def test_readyz_names_an_unreachable_database(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/callmp.sqlite3")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["database", "data"]


def test_readyz_names_empty_ridings(
    make_app: Callable[..., Flask], empty_database_url: str
) -> None:
    schema = create_engine(empty_database_url)
    Base.metadata.create_all(schema)
    schema.dispose()
    response = make_app(DATABASE_URL=empty_database_url).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["data"] == "no ridings"
    assert response.get_json()["failed"] == ["data"]


def test_readyz_names_a_missing_ridings_table(
    make_app: Callable[..., Flask], empty_database_url: str
) -> None:
    response = make_app(DATABASE_URL=empty_database_url).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["data"] == "no ridings table"


def test_readyz_names_an_unreachable_redis_limiter(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["redis_limiter"]


def test_a_safe_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"


def test_an_unsafe_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "a b<script>" + "x" * 80})
    echoed = response.headers["X-Request-ID"]
    assert echoed.isalnum()
    assert len(echoed) == 32


def test_probes_take_get_only(client: FlaskClient) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_probes_answer_json_and_set_no_cookie(client: FlaskClient) -> None:
    for path in ("/healthz", "/readyz?ref=abc"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers
        assert response.is_json
