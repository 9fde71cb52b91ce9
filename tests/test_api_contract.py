"""Every API route against its own OpenAPI schema (schemathesis), and no route, calendar or
feed showing a reviewer's user name.

The schemathesis run is bounded (a few examples per route, no deadline) so it stays a
matter of seconds inside `make test`: it checks status codes, content types and response
bodies against the schema for generated valid and invalid parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from predictions.decisions import Actor, resolve
from predictions.models import Outcome, Prediction
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db


# schemathesis' pytest integration (`schema.parametrize()` / `from_fixture`) reaches into
# pytest internals that pytest 9 no longer has, so the operations are driven from the test
# itself through the same Python API: one bounded hypothesis run per operation.
GENERATION_MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Keep the test's database connection open across WSGI requests, as Django's own test
    Client does: the handler's request signals would otherwise close it mid-test (PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("wsgi_in_test_transaction")
def test_every_route_answers_as_its_schema_says(seeded) -> None:
    cache.clear()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/predictions", "/api/predictions/{prediction_id}"}
    for operation in operations:
        # Invalid input needs a parameter to be invalid in.
        has_parameters = bool(list(operation.query) + list(operation.path_parameters))
        for mode in GENERATION_MODES if has_parameters else (GenerationMode.POSITIVE,):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=8,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case) -> None:
                # A well-formed slug that names no speaker or source is refused with a 400
                # naming it (as the pages do): the schema cannot list the slugs that exist,
                # so "schema-valid input must be accepted" does not hold for those two.
                case.call_and_validate(excluded_checks=[positive_data_acceptance])

            check()


@pytest.fixture
def decided_by_alice(seeded, reviewer: User) -> Prediction:
    flag_due(as_of=datetime(2027, 1, 1).date())
    prediction = Prediction.objects.get(key="no-discrete-superhuman-coder-moment")
    prediction = Prediction.objects.filter(status="due").order_by("id").first() or prediction
    resolve(
        prediction,
        outcome=Outcome.HELD_UP,
        note="Checked by hand.",
        evidence=["https://example.org/evidence"],
        actor=Actor(user=reviewer, name=reviewer.username),
        at=datetime(2027, 1, 2, tzinfo=UTC),
    )
    return prediction


def get_routes(client: Client, prediction: Prediction) -> list[str]:
    """Every GET path in the OpenAPI schema, with real values for its path parameters."""
    paths = client.get("/api/openapi.json").json()["paths"]
    return [re.sub(r"\{prediction_id\}", str(prediction.pk), path) for path in paths]


def test_no_route_shows_a_reviewers_user_name(decided_by_alice: Prediction) -> None:
    client = Client()
    routes = get_routes(client, decided_by_alice) + [
        "/calendar.ics",
        "/feeds/resolved.atom",
        "/speakers/nathan-lambert/feed.atom",
        f"/predictions/{decided_by_alice.pk}/",
    ]
    assert "/api/predictions/{prediction_id}" not in routes
    detail = client.get(f"/api/predictions/{decided_by_alice.pk}").json()
    assert [e["actor"] for e in detail["history"]] == ["Scheduler", "Reviewer"]
    for route in routes:
        response = client.get(route)
        assert response.status_code == 200, route
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"alice" not in body, route
