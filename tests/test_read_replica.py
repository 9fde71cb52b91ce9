"""An optional read replica (DATABASE_REPLICA_URL): the public pages and the API's GETs read
from it; the admin, every write and a transaction that writes use the primary
(predictions/routers.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from predictions.models import Prediction
from predictions.routers import REPLICA, ReplicaReadsMiddleware, ReplicaRouter
from tests.conftest import requires_postgres
from tests.support import clean_environ, closed_port

ROOT = Path(__file__).resolve().parent.parent


def alias_read_during(method: str, path: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES, REPLICA, {})  # only its presence is looked at
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(ReplicaRouter().db_for_read(Prediction))
        return HttpResponse()

    ReplicaReadsMiddleware(view)(getattr(RequestFactory(), method)(path))
    return seen[0]


@pytest.mark.parametrize(
    "path", ["/", "/api/predictions", "/speakers/ada/", "/calendar.ics", "/feeds/resolved.atom"]
)
def test_a_public_get_reads_the_replica(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert alias_read_during("get", path, monkeypatch) == REPLICA


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/"),
        ("get", "/admin/login/"),
        ("get", "/healthz"),
        ("get", "/export/resolutions.csv"),
        ("post", "/"),
    ],
)
def test_the_admin_healthz_exports_and_posts_read_the_primary(
    method: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert alias_read_during(method, path, monkeypatch) == DEFAULT_DB_ALIAS


def test_outside_a_request_everything_reads_the_primary() -> None:
    assert ReplicaRouter().db_for_read(Prediction) == DEFAULT_DB_ALIAS
    assert ReplicaRouter().db_for_write(Prediction) == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_a_read_inside_a_transaction_stays_on_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES, REPLICA, {})
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            seen.append(ReplicaRouter().db_for_read(Prediction))
        return HttpResponse()

    # The test's own transaction is an atomic block too; a request outside one is above.
    ReplicaReadsMiddleware(view)(RequestFactory().get("/"))
    assert seen == [DEFAULT_DB_ALIAS]


def test_without_a_replica_the_middleware_is_not_used() -> None:
    from django.core.exceptions import MiddlewareNotUsed

    with pytest.raises(MiddlewareNotUsed):
        ReplicaReadsMiddleware(lambda request: HttpResponse())


SCRIPT = """
import json
import django
django.setup()
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from predictions.models import Prediction

TRANSACTION = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")

def served(call):
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections["replica"]) as replica:
        status = call()
    # A render is written to the shared page cache, a table on the primary (predictions/caching.py):
    # counted apart from the reads of the data, with the transactions its writes take.
    cache = [q["sql"] for q in primary if "predictions_page_cache" in q["sql"] or q["sql"].split()[0] in TRANSACTION]
    return {"status": status, "primary": [q["sql"] for q in primary if q["sql"] not in cache], "replica": len(replica), "cache": cache}

anonymous, reviewer = Client(), Client()
out = {"scorecard": served(lambda: anonymous.get("/").status_code)}
out["api"] = served(lambda: anonymous.get("/api/predictions").status_code)
alice = User.objects.get(username="alice")
reviewer.force_login(alice)
p = Prediction.objects.get()
out["admin"] = served(lambda: reviewer.get(reverse("admin:predictions_prediction_change", args=[p.pk])).status_code)
data = {"resolve-outcome": "held_up", "resolve-unresolvable_reason": "", "resolve-note": "It held.",
        "resolve-evidence": "https://example.org/e", "resolve-version": str(p.version),
        "resolve-known_on": timezone.localdate().isoformat()}
out["decide"] = served(lambda: reviewer.post(reverse("admin:predictions_prediction_decide", args=[p.pk, "resolve"]), data).status_code)
out["scorecard_after"] = served(lambda: anonymous.get("/").status_code)
out["healthz"] = anonymous.get("/healthz").json()
# The first view after the decision may be the version before, the new one rendered behind
# its response (SCORECARD_RENDER_BEHIND): the decision shows within that render.
import time
deadline = time.monotonic() + 10
while not (held := 'data-total="held_up">1<' in anonymous.get("/").content.decode()) and time.monotonic() < deadline:
    time.sleep(0.05)
out["held_up"] = held
print(json.dumps(out))
"""


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_public_reads_are_served_by_the_replica_and_writes_by_the_primary(make_due, reviewer) -> None:
    make_due()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = clean_environ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "CACHE_URL")
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=url,
        # The same database as a stand-in replica, but read-only: a write sent there fails.
        DATABASE_REPLICA_URL=url + "?options=-c%20default_transaction_read_only%3Don",
    )
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for public in ("scorecard", "api", "scorecard_after"):
        assert out[public]["status"] == 200, out
        assert out[public]["replica"] > 0 and out[public]["primary"] == [], (public, out)
    # Each fresh render of the scorecard stored its page for every process, on the primary.
    assert any(q.startswith("INSERT") or q.startswith("UPDATE") for q in out["scorecard"]["cache"]), out
    assert not out["api"]["cache"], out
    for reviewers in ("admin", "decide"):
        assert out[reviewers]["status"] in (200, 302), out
        assert out[reviewers]["primary"] and out[reviewers]["replica"] == 0, (reviewers, out)
    assert out["held_up"]
    assert out["healthz"]["replica"] == "ok"
    assert Prediction.objects.get().outcome == "held_up"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_healthz_says_when_the_replica_cannot_be_reached() -> None:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = clean_environ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "CACHE_URL")
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=url,
        DATABASE_REPLICA_URL=f"postgres://nobody@127.0.0.1:{closed_port()}/replica",
    )
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    status, body = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["database"] == "ok" and body["replica"] == "unreachable"
