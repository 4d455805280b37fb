"""docker-compose.yml as a compose implementation reads it: every long-running service has
a health check, a restart policy and resource limits; Caddy fronts web; backups are taken."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
LONG_RUNNING = ["caddy", "postgres", "redis", "minio", "web", "worker", "beat", "backup"]
# Run once and exit: the others wait for them to finish.
ONE_SHOTS = {"migrate", "minio-bucket"}


def compose_command() -> list[str] | None:
    """`docker compose` (v2) when the plugin is there, else docker-compose."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    command = compose_command()
    if command is None:
        pytest.skip("needs docker compose or docker-compose (.ci/run installs docker-compose)")
    # The files the compose file names, in a scratch copy: .env is required, as in production.
    root = tmp_path_factory.mktemp("compose")
    shutil.copy(BASE_DIR / "docker-compose.yml", root)
    shutil.copy(BASE_DIR / ".env.example", root)
    shutil.copytree(BASE_DIR / "deploy", root / "deploy")
    (root / ".env").write_text("SECRET_KEY=compose-test\nALLOWED_HOSTS=sanbufu.example.org\n")
    done = subprocess.run(
        [*command, "config"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_every_long_running_service_is_checked_restarted_and_limited(config):
    services = config["services"]
    assert set(LONG_RUNNING) | ONE_SHOTS == set(services)
    for name in LONG_RUNNING:
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
        assert not service["healthcheck"].get("disable"), name
        limits = service["deploy"]["resources"]["limits"]
        assert limits["cpus"] and limits["memory"], name


def test_web_and_worker_are_checked_by_readyz_and_a_ping(config):
    services = config["services"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["beat"]["healthcheck"]["test"][-2:] == ["database", "beat"]


def test_caddy_terminates_tls_in_front_of_web(config):
    services = config["services"]
    published = {
        str(p.get("target") if isinstance(p, dict) else p) for p in services["caddy"]["ports"]
    }
    assert any("443" in p for p in published)
    assert "ports" not in services["web"]  # only through the proxy
    caddyfile = (BASE_DIR / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "respond /metrics 404" in caddyfile


def test_backups_are_dumped_on_a_schedule_into_a_volume(config):
    backup = config["services"]["backup"]
    assert backup["command"][-1] == "loop"
    assert backup["environment"]["BACKUP_DIR"] == "/backups"
    assert int(backup["environment"]["BACKUP_INTERVAL"]) == 86400
    assert int(backup["environment"]["BACKUP_KEEP_DAYS"]) == 14
    volumes = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in backup["volumes"]]
    assert "/backups" in volumes
    assert "backups" in config["volumes"]


def test_evidence_goes_to_a_private_minio_bucket(config):
    services = config["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["S3_BUCKET"] == "sanbufu-evidence", name
        assert environment["S3_ENDPOINT_URL"] == "http://minio:9000", name
    assert "ports" not in services["minio"]  # the application serves every file
    assert "anonymous set none" in " ".join(services["minio-bucket"]["entrypoint"])
    assert "minio-data" in config["volumes"]
