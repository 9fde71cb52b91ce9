"""The scorecard under writes (issue 23): one render per data version for every process, in
the shared `pages` cache (a database table without a Redis); while another request renders the
next version, readers get the one before with that version's own ETag (stale-while-revalidate);
a signed-in reviewer never does; and the render lock cannot outlive a failed render or its
RENDER_LOCK_SECONDS.

"Another process" is played here by emptying this process's own copies (`caching.local`) and
by taking a page's render lock in the shared cache, as a request elsewhere would."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client

from predictions import caching
from predictions.decisions import Actor, resolve
from predictions.filtering import Filters
from predictions.models import Prediction, Status
from predictions.views import scorecard_key

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HOME = scorecard_key("/", Filters())


@pytest.fixture(autouse=True)
def frozen() -> object:
    caching.local.clear()  # this process's copies from earlier tests
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    caching.local.clear()


def held_up(response: object) -> str:
    return dict(re.findall(r'data-total="(\w+)">(\d+)<', response.content.decode()))["held_up"]


def another_process_renders(key: str = HOME) -> None:
    """Forget this process's copies and take the page's render lock, as a request in another
    worker does while it renders the next version."""
    caching.local.clear()
    assert caching._pages().add(f"{key}:rendering", "elsewhere", caching.RENDER_LOCK_SECONDS)


def decide(prediction: Prediction) -> None:
    prediction.refresh_from_db()
    resolve(prediction, outcome="held_up", note="It happened.", actor=Actor(None, "alice"))


@pytest.fixture
def rendered_then_decided(make_prediction) -> str:
    """The home page rendered with nothing held up, then one decision: its first ETag."""
    p = make_prediction(status=Status.DUE)
    first = Client().get("/")
    assert held_up(first) == "0"
    decide(p)
    return first["ETag"]


def test_without_a_redis_the_page_is_kept_in_the_database_for_every_process(make_prediction) -> None:
    make_prediction()
    assert Client().get("/").context is not None, "the first view renders"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM predictions_page_cache")
        assert cursor.fetchone()[0] == 1
    caching.local.clear()  # another process: nothing of its own yet
    assert Client().get("/").context is None, "served from the shared render, not rendered again"


def test_while_another_request_renders_readers_get_the_version_before(rendered_then_decided, frozen) -> None:
    another_process_renders()
    stale = Client().get("/")
    assert stale.context is None, "no second render while one is under way"
    assert held_up(stale) == "0"
    # Its own version's ETag, so a browser never keeps the old page under the new ETag.
    assert stale["ETag"] == rendered_then_decided
    assert Client().get("/", headers={"if-none-match": rendered_then_decided}).status_code == 304

    caching._pages().delete(f"{HOME}:rendering")  # that render is done (or gave up)
    assert held_up(Client().get("/")) == "0", "this process asks again only after a moment"
    frozen.shift(timedelta(seconds=caching.STALE_RECHECK_SECONDS))
    fresh = Client().get("/")
    assert held_up(fresh) == "1"
    assert fresh["ETag"] != rendered_then_decided


def test_a_signed_in_reviewer_sees_their_own_decision_at_once(rendered_then_decided, reviewer) -> None:
    another_process_renders()
    client = Client()
    client.force_login(reviewer)
    mine = client.get("/")
    assert held_up(mine) == "1"
    assert mine["ETag"] != rendered_then_decided
    assert held_up(Client().get("/")) == "1", "and the fresh page is everyone's from then on"


def test_a_render_lock_left_behind_expires(rendered_then_decided, frozen) -> None:
    another_process_renders()
    assert held_up(Client().get("/")) == "0"
    frozen.shift(timedelta(seconds=caching.RENDER_LOCK_SECONDS + 1))
    assert held_up(Client().get("/")) == "1", "stale no longer than RENDER_LOCK_SECONDS"


def test_the_render_lock_is_let_go_after_a_render(rendered_then_decided) -> None:
    caching.local.clear()
    assert held_up(Client().get("/")) == "1"
    assert caching._pages().get(f"{HOME}:rendering") is None


def test_a_render_that_fails_lets_go_of_the_lock() -> None:
    stale = caching.Rendered("v1", NOW, b"old", 0.0)
    caching._pages().set("page", stale, None)

    def broken() -> bytes:
        raise RuntimeError("the template broke")

    with pytest.raises(RuntimeError):
        caching.rendered_page("page", "v2", NOW, broken)
    assert caching._pages().get("page:rendering") is None
    assert caching.rendered_page("page", "v2", NOW, lambda: b"new").content == b"new"


def test_with_nothing_cached_a_first_view_waits_for_the_render_under_way(monkeypatch) -> None:
    caching._pages().add("page:rendering", "elsewhere", caching.RENDER_LOCK_SECONDS)
    waits = []

    def the_other_render_lands(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            caching._pages().set("page", caching.Rendered("v1", NOW, b"theirs", 0.0), None)

    monkeypatch.setattr(caching.time, "sleep", the_other_render_lands)
    served = caching.rendered_page("page", "v1", NOW, lambda: pytest.fail("rendered a second time"))
    assert (served.content, len(waits)) == (b"theirs", 3)


def test_a_first_view_renders_itself_when_the_other_render_never_lands(monkeypatch) -> None:
    caching._pages().add("page:rendering", "elsewhere", caching.RENDER_LOCK_SECONDS)
    waits = []
    monkeypatch.setattr(caching.time, "sleep", waits.append)
    assert caching.rendered_page("page", "v1", NOW, lambda: b"mine").content == b"mine"
    assert sum(waits) == pytest.approx(caching.COLD_WAIT_SECONDS)


def test_each_process_keeps_a_bounded_number_of_pages(monkeypatch) -> None:
    monkeypatch.setattr(caching, "LOCAL_PAGES", 3)
    for n in range(5):
        caching.rendered_page(f"page-{n}", "v1", NOW, lambda n=n: f"page {n}".encode())
    assert list(caching.local.pages) == ["page-2", "page-3", "page-4"]


def test_a_process_asks_the_shared_cache_again_only_after_a_moment(
    rendered_then_decided, frozen, monkeypatch
) -> None:
    another_process_renders()
    assert held_up(Client().get("/")) == "0"
    asked = []
    monkeypatch.setattr(caching, "_shared", lambda *args: asked.append(args[0]) or (True, None))
    assert held_up(Client().get("/")) == "0" and asked == [], "served from this process"
    frozen.shift(timedelta(seconds=caching.STALE_RECHECK_SECONDS))
    Client().get("/")
    assert asked[0] == "get", "then the shared cache is asked again"


# --- rendered behind the response (SCORECARD_RENDER_BEHIND, production's default) ------------


@pytest.fixture
def behind(settings, monkeypatch) -> list:
    """Render behind the response, the thread's job kept here to be run when the test says."""
    settings.SCORECARD_RENDER_BEHIND = True
    jobs: list = []
    monkeypatch.setattr(caching, "start_render", jobs.append)
    monkeypatch.setattr(caching.connections, "close_all", lambda: None)  # the test's own connection
    return jobs


def test_the_first_view_after_a_write_answers_at_once_and_renders_behind(
    rendered_then_decided, behind, frozen
) -> None:
    caching.local.clear()
    first = Client().get("/")
    assert (held_up(first), first["ETag"]) == ("0", rendered_then_decided)
    assert len(behind) == 1, "one render started"
    assert held_up(Client().get("/")) == "0" and len(behind) == 1, "and only one while it runs"

    behind.pop()()
    assert caching._pages().get(f"{HOME}:rendering") is None, "the lock let go"
    frozen.shift(timedelta(seconds=caching.STALE_RECHECK_SECONDS))
    after = Client().get("/")
    assert held_up(after) == "1" and after["ETag"] != rendered_then_decided


def test_a_render_behind_that_fails_is_logged_and_lets_go(
    rendered_then_decided, behind, monkeypatch, caplog
) -> None:
    caching.local.clear()
    Client().get("/")
    monkeypatch.setattr(caching, "_render", lambda *args: (_ for _ in ()).throw(RuntimeError("broken")))
    behind.pop()()
    assert "could not be rendered behind its response" in caplog.text
    assert caching._pages().get(f"{HOME}:rendering") is None


def test_a_reviewer_and_a_first_ever_view_never_wait_on_a_render_behind(
    make_prediction, reviewer, behind
) -> None:
    p = make_prediction(status=Status.DUE)
    assert held_up(Client().get("/")) == "0" and not behind, "nothing to serve meanwhile: rendered at once"
    decide(p)
    client = Client()
    client.force_login(reviewer)
    assert held_up(client.get("/")) == "1" and not behind
