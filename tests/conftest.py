"""Shared fixtures: the named people (healthchecks' alice/bob/charlie), the seed data,
and a real Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from predictions.importing import import_path
from predictions.models import Attribution, Horizon, Prediction, Source, Speaker, Status

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "state-of-ai-2026.yaml"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Chromium's own background traffic is refused on this machine's closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def reviewer(db) -> User:
    """Alice may record outcomes: staff, in the Reviewers group."""
    alice = User.objects.create_user("alice", "alice@example.org", "password", is_staff=True)
    alice.groups.add(Group.objects.get(name="Reviewers"))
    return alice


@pytest.fixture
def staff(db) -> User:
    """Bob is staff without the resolve permission: he may read, not decide."""
    return User.objects.create_user("bob", "bob@example.org", "password", is_staff=True)


@pytest.fixture
def seeded(db) -> None:
    import_path(SEED)


@pytest.fixture
def source(db) -> Source:
    return Source.objects.create(
        title="Test podcast", slug="test-podcast", url="https://example.org/p", published_on=date(2026, 1, 31)
    )


@pytest.fixture
def speaker(db) -> Speaker:
    return Speaker.objects.create(name="Ada Lovelace", slug="ada-lovelace")


@pytest.fixture
def make_prediction(source: Source):
    counter = iter(range(1, 1_000_000))

    def make(**fields: object) -> Prediction:
        n = next(counter)
        values: dict[str, object] = {
            "source": source,
            "key": f"p{n}",
            "claim": f"Claim number {n} will hold.",
            "horizon": Horizon.NEAR,
            "horizon_as_said": "this year",
            "stated_on": date(2026, 1, 31),
            "due_on": date(2026, 12, 31),
            "resolution_criteria": "It visibly happens.",
        }
        values.update(fields)
        if values.get("speaker") and "attribution" not in fields:
            values["attribution"] = Attribution.NAMED  # the database wants to know how
        return Prediction.objects.create(**values)

    return make


# The one mechanism for tests that need PostgreSQL: skipped when the suite runs on another
# database (by the configured connection's vendor; no connection is opened to know it).
requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A real headless Chromium (Debian's package) driven by Playwright.

    Missing Chromium: skipped with how to enable it, except under CI, where it fails so
    the browser tests can never be skipped silently.
    """
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = (
            f"No Chromium at {CHROMIUM}: browser tests need Debian's chromium package "
            "(apt-get install chromium), or CHROMIUM_PATH pointing at one."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls the
    # tests make around it are ordinary synchronous calls.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture(autouse=True)
def reviewers_group_after_flush(request: pytest.FixtureRequest) -> None:
    """Put migration 0003's Reviewers group back for transactional tests.

    A transactional test (live_server, transaction=True) ends by flushing every table, and
    the flush recreates content types and permissions (post_migrate) but not data that a
    migration wrote, so the next transactional test on the same worker would find no
    Reviewers group. serialized_rollback is no cure when some tests use it and others don't:
    its restored content types then collide with the ones post_migrate recreated.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction", False)) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("predictions.migrations.0003_reviewers_group").forward(apps, None)


@pytest.fixture
def alice_client(client: Client, reviewer: User) -> Client:
    client.force_login(reviewer)
    return client


@pytest.fixture
def carol(db: None) -> User:
    """A second reviewer, for two people deciding on the same prediction."""
    user = User.objects.create_user("carol", "carol@example.org", "password", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


@pytest.fixture
def make_due(make_prediction: Any) -> Any:
    """A prediction the scheduler has flagged: due for review."""

    def make(**fields: Any) -> Prediction:
        values: dict[str, Any] = {
            "stated_on": date(2025, 1, 31),
            "due_on": date(2025, 12, 31),
            "status": Status.DUE,
            "flagged_at": timezone.now(),
        }
        values.update(fields)
        return make_prediction(**values)

    return make
