"""Evidence that cannot rot (predictions/archiving.py): each link a decision cites is fetched
once by a django-q2 task and kept; the fetch refuses what only the server could reach, on
each redirect too; the copy is served inert. Against a local server standing in for the web
(127.0.0.1 is let through by ARCHIVE_ALLOWED_NETWORKS, as nothing else is)."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from django_q.models import Schedule

from predictions import archiving
from predictions.actors import IMPORTER, Actor
from predictions.decisions import resolve
from predictions.models import ArchivedCopy, ArchiveStatus, Event, EventKind, Outcome, Status
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

PAGE = b"<html><body><script>alert(1)</script>The lab's announcement.</body></html>"
seen_headers: list[dict[str, str]] = []


class Web(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        seen_headers.append(dict(self.headers))
        routes = {
            "/page": lambda: self.answer(200, PAGE, "text/html; charset=utf-8", cookie=True),
            "/to-page": lambda: self.redirect("/page"),
            "/to-metadata": lambda: self.redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-private": lambda: self.redirect("http://10.0.0.1/admin"),
            "/loop": lambda: self.redirect("/loop"),
            "/huge": lambda: self.answer(200, b"x" * 2000, "text/plain"),
            "/huge-unannounced": self.unannounced,
            "/slow": self.slow,
            "/gone": lambda: self.answer(404, b"no", "text/plain"),
        }
        if self.path.startswith("/save/"):  # the external archive's stand-in
            return self.redirect("/web/20270115/" + self.path.removeprefix("/save/"))
        if self.path.startswith("/web/"):
            return self.answer(200, b"archived", "text/html")
        routes.get(self.path, lambda: self.answer(404, b"", "text/plain"))()
        return None

    def answer(self, status: int, body: bytes, content_type: str, cookie: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if cookie:
            self.send_header("Set-Cookie", "session=secret")
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Set-Cookie", "tracking=1")
        self.end_headers()

    def unannounced(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"y" * 2000)

    def slow(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "10")
        self.end_headers()
        time.sleep(2)
        self.wfile.write(b"late")


def serve(server: http.server.HTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"{server.server_address[1]}"


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Web)
    port = serve(server)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(autouse=True)
def local_web_only(settings, monkeypatch):
    settings.ARCHIVE_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    monkeypatch.setattr(archiving, "MAX_BYTES", 1000)
    monkeypatch.setattr(archiving, "TIMEOUT", 0.5)
    seen_headers.clear()


@pytest.fixture
def decided(make_prediction, reviewer, django_capture_on_commit_callbacks):
    def decided(*links: str) -> Event:
        p = make_prediction()
        flag_due(as_of=date(2027, 1, 1))
        p.refresh_from_db()
        with django_capture_on_commit_callbacks() as callbacks:
            event = resolve(
                p, outcome=Outcome.HELD_UP, note="Seen.", actor=Actor.of(reviewer), evidence=list(links)
            )
        decided.callbacks = callbacks
        return event

    return decided


def refusal(url: str) -> str:
    with pytest.raises(archiving.Refused) as raised:
        archiving.fetch(url)
    return str(raised.value)


def test_a_decisions_links_are_queued_once_fetched_and_served_inert(client, web, decided):
    event = decided(f"{web}/to-page", f"{web}/to-page")  # the same link twice: one copy
    [copy] = ArchivedCopy.objects.all()
    assert (copy.event_id, copy.status) == (event.pk, ArchiveStatus.PENDING)
    # After commit, one django-q2 task per copy (the tests run django-q2 in sync mode, so
    # async_task runs it here, through django-q2's own worker code).
    for callback in decided.callbacks:
        callback()
    copy.refresh_from_db()
    assert copy.status == ArchiveStatus.FETCHED
    assert (copy.final_url, copy.content_type, copy.size) == (
        f"{web}/page",
        "text/html; charset=utf-8",
        len(PAGE),
    )
    assert copy.sha256 == hashlib.sha256(PAGE).hexdigest()
    # No cookie kept: the redirect set one and the next request did not send it.
    assert [h.get("Cookie") for h in seen_headers] == [None, None]

    response = client.get(f"/archive/{copy.pk}/")
    assert response.content == PAGE
    assert response["Content-Disposition"] == f'attachment; filename="evidence-{copy.pk}.html"'
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = client.get(event.prediction.get_absolute_url()).content.decode()
    assert f'href="/archive/{copy.pk}/"' in page and copy.sha256[:12] in page
    # Fetched once: a second run of the task changes nothing.
    assert archiving.fetch_copy(copy.pk) == "already archived"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/to-metadata", "resolves to 169.254.169.254, which is not a public address"),
        ("/to-private", "resolves to 10.0.0.1, which is not a public address"),
        ("/loop", "more than 5 redirects"),
        ("/huge", "larger than 0 MB (2000 bytes)"),
        ("/huge-unannounced", "larger than 0 MB"),
        ("/slow", "could not fetch: TimeoutError"),
        ("/gone", "the server answered 404"),
    ],
)
def test_what_may_not_be_fetched_or_kept(web, path, why):
    assert why in refusal(web + path)


@pytest.mark.parametrize(
    "url",
    ["http://[::1]/", "http://127.0.0.2/", "http://169.254.169.254/", "http://192.168.1.1/", "http://[fd00::1]/",
     "http://0.0.0.0/", "http://[::ffff:10.0.0.1]/"],
)  # fmt: skip
def test_addresses_only_the_server_can_reach_are_refused_before_connecting(url):
    assert "is not a public address" in refusal(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_only_web_links(url):
    assert "not an http(s) link" in refusal(url)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_a_certificate_that_does_not_verify_is_refused(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Web)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = serve(server)
    try:
        assert "CERTIFICATE_VERIFY_FAILED" in refusal(f"https://127.0.0.1:{port}/page")
    finally:
        server.shutdown()


def test_a_failed_fetch_is_tried_again_and_shown_as_failed(client, web, decided):
    event = decided(f"{web}/gone")
    [copy] = ArchivedCopy.objects.all()
    for attempt in (1, 2, 3):
        assert archiving.fetch_copy(copy.pk).startswith(f"failed ({attempt}/3)")
    copy.refresh_from_db()
    assert (copy.status, copy.attempts) == (ArchiveStatus.FAILED, 3)
    # Tries 2 and 3 were planned as one-off schedules of the same task; none after the third.
    planned = Schedule.objects.filter(func=archiving.TASK).order_by("next_run")
    assert [(s.schedule_type, s.args) for s in planned] == [(Schedule.ONCE, str(copy.pk))] * 2
    page = client.get(event.prediction.get_absolute_url()).content.decode()
    assert "not archived: the server answered 404 Not Found" in page


def test_the_external_archive_when_asked(web, decided, settings):
    settings.ARCHIVE_EXTERNAL = True
    settings.ARCHIVE_EXTERNAL_ENDPOINT = f"{web}/save/"
    decided(f"{web}/page")
    [copy] = ArchivedCopy.objects.all()
    archiving.fetch_copy(copy.pk)
    copy.refresh_from_db()
    assert copy.external_url == f"{web}/web/20270115/{web}/page"


def test_imported_history_is_not_fetched(make_prediction):
    p = make_prediction(status=Status.RESOLVED, outcome=Outcome.HELD_UP)
    Event.objects.create(
        prediction=p, kind=EventKind.RESOLVED, at=datetime(2027, 1, 15, 12, 0, tzinfo=UTC),
        actor_name=IMPORTER.name, from_status=Status.DUE, to_status=Status.RESOLVED, to_outcome=Outcome.HELD_UP,
        evidence=["https://example.org/x"],
    )  # fmt: skip
    assert not ArchivedCopy.objects.exists()
