"""Evidence that cannot rot: each link a decision cites is fetched once by a django-q2 task
and kept (`models/archive.py`), so a reader can download what the reviewer saw even after
the site changed or died.

The fetch runs on the server, so it must never reach what only the server can reach:
- http and https only, on ports 80 and 443 (or the URL's own port);
- the host is resolved first and every address it resolves to must be public: loopback,
  private, link-local (the cloud metadata service 169.254.169.254 included), shared,
  reserved, multicast and unspecified addresses are refused, for IPv4 and IPv6; the
  connection then goes to the address checked, so a second DNS answer cannot swap it;
- each redirect (at most MAX_REDIRECTS) is checked the same way before it is followed;
- a TIMEOUT per connection and read, a MAX_BYTES cap on the body (the fetch stops
  reading past it), no cookies sent or kept, TLS certificates verified.
A fetch that fails is tried again later (ATTEMPTS in all, spaced RETRY_AFTER apart, by a
one-off django-q2 schedule) and is shown as failed, with why, until then.

`ARCHIVE_ALLOWED_NETWORKS` (a setting from the environment, empty by default, each network
checked at start-up) lets listed networks through the address check: the tests' local
server uses it for 127.0.0.1 alone. `ARCHIVE_EXTERNAL` (off by default) also asks the
Wayback Machine's Save Page Now for a copy and keeps its address
(`ARCHIVE_EXTERNAL_ENDPOINT`, a stand-in server in the tests). config/settings.py holds
their defaults; docs/operating.md lists them.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from .actors import IMPORTER
from .links import is_web_link
from .models import ARCHIVE_ATTEMPTS, ArchivedCopy, ArchiveStatus, Event

logger = logging.getLogger(__name__)

TIMEOUT = 10
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
ATTEMPTS = ARCHIVE_ATTEMPTS
RETRY_AFTER = timedelta(minutes=30)
TASK = "predictions.archiving.fetch_copy"
USER_AGENT = "prediction-tracker-archiver/1 (+evidence copy)"


class Refused(Exception):
    """The link may not be fetched, or its answer not kept; the message says why."""


@dataclass(frozen=True)
class Fetched:
    final_url: str
    content_type: str
    body: bytes


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n) for n in settings.ARCHIVE_ALLOWED_NETWORKS]


def public_address(host: str, port: int) -> str:
    """An address `host` resolves to, after checking that all of them are public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"{host} does not resolve ({error.strerror})") from error
    addresses = {info[4][0] for info in infos}
    allowed = allowed_networks()
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in network for network in allowed):
            continue
        if not ip.is_global or ip.is_multicast:
            raise Refused(f"{host} resolves to {ip}, which is not a public address")
    return sorted(addresses)[0]


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), TIMEOUT)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), TIMEOUT)
        # The certificate is checked against the host the URL names, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(url: str) -> Fetched:
    """GET `url` under the rules above; Refused with the reason otherwise."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(f"not an http(s) link: {url[:200]}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = public_address(parts.hostname, port)
        kind = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
        connection = kind(parts.hostname, address, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise Refused(f"a redirect ({response.status}) without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:  # noqa: PLR2004 - HTTP OK
                raise Refused(f"the server answered {response.status} {response.reason}")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                raise Refused(f"larger than {MAX_BYTES // (1024 * 1024)} MB ({declared} bytes)")
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise Refused(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
            content_type = (response.getheader("Content-Type") or "application/octet-stream")[:200]
            return Fetched(final_url=url, content_type=content_type, body=body)
        except (OSError, http.client.HTTPException) as error:
            raise Refused(f"could not fetch: {error.__class__.__name__}: {error}"[:300]) from error
        finally:
            connection.close()
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


def external_copy(url: str) -> str:
    """Ask an external archive (Save Page Now) for a copy; its address, or "" when none."""
    try:
        answer = fetch(settings.ARCHIVE_EXTERNAL_ENDPOINT + url) if settings.ARCHIVE_EXTERNAL else None
    except Refused as error:
        logger.warning("The external archive kept no copy of %s: %s", url, error)
        return ""
    return answer.final_url if answer is not None else ""


def archive_event(event: Event) -> list[ArchivedCopy]:
    """A copy row per web link of `event`'s evidence, each fetched by its own task after commit."""
    copies = []
    for url in dict.fromkeys(str(u) for u in (event.evidence or []) if is_web_link(str(u))):
        copy, created = ArchivedCopy.objects.get_or_create(event=event, url=url)
        if created:
            transaction.on_commit(lambda pk=copy.pk: enqueue(pk))
            copies.append(copy)
    return copies


def enqueue(pk: int) -> None:
    from django_q.tasks import async_task

    async_task(TASK, pk)


def fetch_copy(pk: int) -> str:
    """The task: fetch one copy, keep it, or record the failure and plan the next try."""
    copy = ArchivedCopy.objects.get(pk=pk)
    if copy.status == ArchiveStatus.FETCHED:
        return "already archived"
    try:
        fetched = fetch(copy.url)
    except Refused as error:
        copy.attempts += 1
        copy.status = ArchiveStatus.FAILED
        copy.error = str(error)[:500]
        copy.save(update_fields=["attempts", "status", "error"])
        if copy.attempts < ATTEMPTS:
            retry_later(copy.pk, copy.attempts)
        return f"failed ({copy.attempts}/{ATTEMPTS}): {copy.error}"
    # Kept once: only a copy not yet fetched is written.
    ArchivedCopy.objects.filter(pk=pk).exclude(status=ArchiveStatus.FETCHED).update(
        status=ArchiveStatus.FETCHED,
        attempts=copy.attempts + 1,
        error="",
        fetched_at=timezone.now(),
        final_url=fetched.final_url[:2000],
        content_type=fetched.content_type,
        size=len(fetched.body),
        sha256=hashlib.sha256(fetched.body).hexdigest(),
        body=fetched.body,
        external_url=external_copy(copy.url)[:2000],
    )
    return f"archived {len(fetched.body)} bytes"


def retry_later(pk: int, attempts: int) -> None:
    from django_q.models import Schedule

    Schedule.objects.create(
        name=f"archive copy {pk}, try {attempts + 1}",
        func=TASK,
        args=str(pk),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=timezone.now() + RETRY_AFTER * attempts,
    )


def copies_by_url(events: Iterable[Event]) -> dict[tuple[int, str], ArchivedCopy]:
    """(event id, url) -> its copy, for a page listing evidence, in one query."""
    ids = [e.pk for e in events]
    found = ArchivedCopy.objects.filter(event_id__in=ids).defer("body")
    return {(c.event_id, c.url): c for c in found}


@receiver(post_save, sender=Event, dispatch_uid="archive-evidence")
def archive_new_evidence(sender: type[Event], instance: Event, created: bool, **kwargs: object) -> None:
    """Every history row a person writes with evidence links (a decision, single or bulk)
    gets its copies; an import's rows are history already decided elsewhere and are not
    fetched again."""
    if created and instance.evidence and instance.actor_name != IMPORTER.name:
        archive_event(instance)
