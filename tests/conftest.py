"""Shared fixtures: the named people (healthchecks' alice/bob/charlie), the seed data, the
scorecard's hand-worked dataset, a season of reviewing on the seed data, and a real Chromium
for browser tests. Plain helpers shared between modules are in tests/support.py."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from predictions.decisions import Actor, defer, reopen, resolve
from predictions.importing import import_path
from predictions.models import (
    Attribution,
    EventKind,
    Horizon,
    Outcome,
    Prediction,
    Source,
    Speaker,
    Status,
    UnresolvableReason,
)
from predictions.tasks import flag_due
from tests.support import NASTY, decided_prediction, empty_the_database, export_text, history_event, review_at

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


# --- The scorecard's hand-worked dataset (worked out in tests/test_scorecard.py) -----------


@pytest.fixture
def grace(db) -> Speaker:
    return Speaker.objects.create(name="Grace Hopper", slug="grace-hopper")


@pytest.fixture
def other_source(db) -> Source:
    return Source.objects.create(
        title="Other talk",
        slug="other-talk",
        kind="talk",
        url="https://example.org/t",
        published_on=date(2026, 1, 31),
    )


@pytest.fixture
def scored(make_prediction, speaker: Speaker, grace: Speaker, other_source: Source) -> dict[str, Prediction]:
    near, medium, long = Horizon.NEAR, Horizon.MEDIUM, Horizon.LONG
    made = {
        "ada-1": decided_prediction(make_prediction, Outcome.HELD_UP, speaker=speaker),
        "ada-2": decided_prediction(make_prediction, Outcome.HELD_UP, speaker=speaker),
        "ada-3": decided_prediction(make_prediction, Outcome.DID_NOT_HOLD_UP, speaker=speaker),
        "ada-4": decided_prediction(
            make_prediction, Outcome.PARTIALLY, speaker=speaker, horizon=medium, due_on=date(2029, 1, 31)
        ),
        "ada-5": decided_prediction(
            make_prediction, Outcome.UNRESOLVABLE, speaker=speaker, horizon=medium, due_on=date(2029, 1, 31)
        ),
        "ada-6": decided_prediction(make_prediction, speaker=speaker, horizon=long, due_on=date(2046, 1, 31)),
        "grace-1": decided_prediction(make_prediction, Outcome.HELD_UP, speaker=grace, source=other_source),
        "grace-2": decided_prediction(make_prediction, speaker=grace, status=Status.DUE),
        "panel-1": decided_prediction(make_prediction, Outcome.DID_NOT_HOLD_UP),
        "panel-2": decided_prediction(
            make_prediction, Outcome.HELD_UP, horizon=medium, due_on=date(2029, 1, 31)
        ),
        "panel-3": decided_prediction(make_prediction, horizon=long, due_on=date(2126, 1, 31)),
    }
    assert made["panel-1"].speaker is None and near == Horizon.NEAR
    return made


# --- A season of reviewing on the seed data (tests/test_export_import_roundtrip.py) --------


@pytest.fixture
def decided(seeded, reviewer) -> dict[str, User]:
    """The seed data after a season of reviewing: the real job flags the near-term ones on
    1 January 2027, then alice and dora (a second reviewer) decide, defer, re-resolve and
    reopen; some predictions have no history at all."""
    dora = User.objects.create_user("dora", is_staff=True)
    with time_machine.travel(datetime(2027, 1, 1, 6, 0, tzinfo=UTC), tick=False):
        assert flag_due(date(2027, 1, 1)) == 14
    near = list(Prediction.objects.filter(status=Status.DUE).order_by("key"))
    medium = list(Prediction.objects.filter(horizon="medium").order_by("key"))
    alice, by_dora = Actor.of(reviewer), Actor.of(dora)
    resolve(
        near[0],
        outcome="held_up",
        note="=1+1 happened",
        evidence=["https://example.org/1"],
        actor=alice,
        at=review_at(1, 5),
    )
    resolve(near[1], outcome="partially", note="Half of it.", actor=by_dora, at=review_at(1, 6))
    resolve(near[2], outcome="did_not_hold_up", note="-No.", actor=alice, at=review_at(1, 7))
    resolve(
        near[3], outcome="unresolvable", reason="too_vague", note="@vague", actor=alice, at=review_at(1, 8)
    )
    resolve(near[4], outcome="held_up", note="Yes.", actor=alice, at=review_at(1, 9))
    resolve(
        near[4], outcome="did_not_hold_up", note="On second look, no.", actor=by_dora, at=review_at(1, 10)
    )
    resolve(near[5], outcome="held_up", note="Yes.", actor=alice, at=review_at(1, 11))
    reopen(near[5], note="Evidence withdrawn.", actor=alice, at=review_at(1, 12))
    defer(medium[0], until=date(2027, 6, 1), note="Too early.", actor=alice, at=review_at(1, 13))
    return {"alice": reviewer, "dora": dora}


@pytest.fixture
def exported(decided, tmp_path) -> list[dict]:
    """The `decided` history as exported rows, and the database emptied to import them into."""
    rows = [json.loads(line) for line in export_text("jsonl").split("\n") if line]
    empty_the_database()
    return rows


@pytest.fixture
def nasty(source: Source, make_prediction: Any, reviewer: User) -> list[Prediction]:
    """Predictions and history whose every text column holds something awkward for CSV."""
    weird_source = Source.objects.create(
        title='=A "weird", source\nwith lines',
        slug="weird",
        kind="article",
        url="",
        published_on=date(2025, 12, 31),
    )
    comma = Speaker.objects.create(name="Lambert, Nathan", slug="nathan")
    risky = Speaker.objects.create(name="-dash @at", slug="dash")
    made = []
    for i, text in enumerate(NASTY):
        p = make_prediction(
            source=weird_source if i % 3 == 0 else source,
            speaker=[None, comma, risky][i % 3],
            attribution=[Attribution.UNATTRIBUTED, Attribution.NAMED, Attribution.TRANSCRIPT][i % 3],
            claim=text,
            quote=text if i % 2 else "",
            section=text[:300],
            horizon=[Horizon.NEAR, Horizon.MEDIUM, Horizon.LONG][i % 3],
            horizon_as_said=text[:100],
            resolution_criteria=text,
            attribution_note=text if i % 3 else "",
            excerpt=text[:400],
            source_note=text,
            source_timestamp=[None, 0, 3335][i % 3],
            probability=[None, Decimal("0"), Decimal("0.05"), Decimal("1"), Decimal("0.700")][i % 5],
        )
        made.append(p)
        if i % 4 == 3:
            continue  # no history: one row of its own
        base = datetime(2027, 1, 1 + i % 28, 23, 59, 59, tzinfo=UTC)
        history_event(
            p, EventKind.FLAGGED, base, actor_name="scheduler", note=f"Due; {text}", to_status=Status.DUE
        )
        history_event(
            p,
            EventKind.RESOLVED,
            base.replace(hour=1, microsecond=[0, 1, 500000, 999999][i % 4]),
            actor=reviewer if i % 2 else None,
            actor_name=["alice", "=evil", "-", "reviewer ✓"][i % 4],
            from_status=Status.DUE,
            to_outcome=Outcome.UNRESOLVABLE if i % 5 == 0 else Outcome.HELD_UP,
            unresolvable_reason=UnresolvableReason.TOO_VAGUE if i % 5 == 0 else "",
            note=text,
            evidence=[
                [],
                ["https://example.org/a"],
                ["=x", "https://example.org/b,c", '"q"'],
                ["https://example.org/a", "back\\slash"],
                [f"https://example.org/{n}" for n in range(5)],
            ][i % 5],
        )
        if i % 5 == 1:
            history_event(
                p,
                EventKind.DEFERRED,
                base.replace(day=base.day + 0, hour=2),
                from_status=Status.DUE,
                review_after=date(2027, 6, 1),
                note="",
            )
    return made
