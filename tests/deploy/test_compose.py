"""compose.yaml, deploy/callmp.env.example and deploy/Caddyfile, read as compose and Caddy
would read them (no container runtime here): the services, who publishes ports, what
waits for what, and whether the settings they give make a configuration the app accepts
for production."""

from __future__ import annotations

import re
from typing import Any

import pytest

from callmp.config import SETTINGS, ConfigError, check_production, load_config, production_reasons
from tests.support.deploy import (
    COMPOSE,
    DEPLOY,
    DOCKERFILE,
    ENV_EXAMPLE,
    commented_settings,
    filled_env_example,
    load_compose,
    read_env_file,
    service_environment,
)

SETTING_NAMES = {"CALLMP_" + setting.name for setting in SETTINGS}
APP_SERVICES = ("web", "worker")
CADDYFILE = DEPLOY / "Caddyfile"


def services() -> dict[str, Any]:
    found: dict[str, Any] = load_compose()["services"]
    return found


def test_compose_starts_the_whole_production_shape() -> None:
    assert {"web", "worker", "postgres", "redis", "caddy"} <= set(services())
    assert "gunicorn.conf.py" in " ".join(services()["web"]["command"])
    assert services()["worker"]["command"][-3:-2] == ["worker"]


def test_only_caddy_publishes_ports_80_and_443() -> None:
    publishing = {name: spec["ports"] for name, spec in services().items() if spec.get("ports")}
    assert list(publishing) == ["caddy"]
    assert {"80:80", "443:443"} <= set(publishing["caddy"])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_stores_and_have_a_healthcheck(service: str) -> None:
    spec = services()[service]
    assert spec["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert spec["healthcheck"]["test"][0] == "CMD"
    for store in ("postgres", "redis"):
        assert services()[store]["healthcheck"]["test"]


def test_every_callmp_name_in_the_deployment_files_is_a_setting() -> None:
    used: set[str] = set()
    for path in (COMPOSE, ENV_EXAMPLE, CADDYFILE, DOCKERFILE, *sorted(DEPLOY.glob("systemd/*"))):
        used |= set(re.findall(r"\bCALLMP_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
    assert used, "no setting found: the pattern is wrong"
    assert used - SETTING_NAMES == set()


def test_every_variable_compose_fills_in_is_in_the_env_example() -> None:
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert wanted and wanted <= set(read_env_file(ENV_EXAMPLE))


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_filled_example_passes_the_production_refusal(service: str) -> None:
    config = load_config(environ=service_environment(service, filled_env_example()))
    assert production_reasons(config)  # the refusal applies, and finds nothing missing
    check_production(config)
    assert config["PROXY_HOPS"] == 1 and config["QUEUE"] == "redis"


def test_without_the_secret_key_the_production_refusal_names_it() -> None:
    env = service_environment("web", filled_env_example())
    del env["CALLMP_SECRET_KEY"]
    with pytest.raises(ConfigError, match="CALLMP_SECRET_KEY is not set"):
        check_production(load_config(environ=env))


def test_the_example_without_containers_sets_what_compose_sets() -> None:
    compose_set = {
        key
        for key in service_environment("worker", {"POSTGRES_PASSWORD": "x"})
        if key.startswith("CALLMP_")
    }
    shown = commented_settings(ENV_EXAMPLE)
    assert set(shown) == compose_set
    systemd_env = {**filled_env_example(), **shown}
    check_production(load_config(environ=systemd_env))
    assert systemd_env["CALLMP_PROXY_HOPS"] == "1"


def test_the_public_url_is_a_caddy_site_address() -> None:
    url = read_env_file(ENV_EXAMPLE)["CALLMP_PUBLIC_URL"]
    assert re.fullmatch(r"https://[a-z0-9.-]+", url), url
    caddy = services()["caddy"]
    assert set(caddy["environment"]) == {"CALLMP_PUBLIC_URL", "ACME_EMAIL"}
    assert "env_file" not in caddy  # no app secret in the proxy's environment
    assert re.search(r"^\{\$CALLMP_PUBLIC_URL\} \{$", CADDYFILE.read_text(), re.MULTILINE)


def test_caddy_proxies_to_the_port_the_web_service_exposes() -> None:
    target = re.findall(r"^\s*reverse_proxy (\S+):(\d+)", CADDYFILE.read_text(), re.MULTILINE)
    assert len(target) == 1
    host, port = target[0]
    assert host == "web"
    assert port in [str(item) for item in services()["web"]["expose"]]
    bind = re.search(r"GUNICORN_BIND=0\.0\.0\.0:(\d+)", DOCKERFILE.read_text())
    assert bind is not None and bind.group(1) == port
    assert f"127.0.0.1:{port}/readyz" in " ".join(services()["web"]["healthcheck"]["test"])


def test_caddy_writes_no_access_log() -> None:
    directives = [
        line.split()[0]
        for line in CADDYFILE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert "log" not in directives


def test_web_and_worker_share_the_metrics_folder_in_one_volume() -> None:
    """The worker's counts (calls placed, letters sent) reach the web's /metrics only if
    both containers write to one folder; metrics.py names files by host to share it."""
    env = filled_env_example()
    folders = {
        service: service_environment(service, env)["PROMETHEUS_MULTIPROC_DIR"]
        for service in APP_SERVICES
    }
    assert folders["web"] == folders["worker"]
    for service in APP_SERVICES:
        assert f"metrics:{folders[service]}" in services()[service]["volumes"]
    volume = load_compose()["volumes"]["metrics"]
    # In memory, as systemd's RuntimeDirectory, and writable by the image's user only.
    assert volume["driver_opts"]["type"] == "tmpfs"
    assert "uid=10001" in volume["driver_opts"]["o"]
    assert "USER 10001:10001" in DOCKERFILE.read_text(encoding="utf-8")
