"""docker-compose.yml runs web and worker with several replicas in mind: both share Redis
(broker, page cache, throttle) and PostgreSQL, and neither keeps state of its own."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_web_and_worker_share_redis_and_keep_no_state_of_their_own() -> None:
    assert "redis" in SERVICES and "healthcheck" in SERVICES["redis"]
    for name in ("web", "worker"):
        service = SERVICES[name]
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:"), name
        assert "volumes" not in service, f"{name} must keep no per-container state"
        assert "deploy" in service and "replicas" in service["deploy"], name


def test_several_web_replicas_can_each_publish_a_port() -> None:
    (ports,) = SERVICES["web"]["ports"]
    host, container = ports.rsplit(":", 1)
    assert container == "8000"
    assert "-" in host, "a range, so a second replica does not collide on one host port"
