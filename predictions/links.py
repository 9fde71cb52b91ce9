"""Which links may be clickable: only http(s). One rule for the public pages, the admin's
history and the import, so a `javascript:` or `data:` link is text everywhere and is
refused at the door."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

WEB_SCHEMES = ("http", "https")


def is_web_link(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() in WEB_SCHEMES


def safe_href(url: str) -> str:
    """The URL when it may be a link's href, else "" (show it as text)."""
    return url if is_web_link(url) else ""


def link_or_text(url: str) -> SafeString:
    """An evidence link as the admin shows it: a link for http(s), escaped text otherwise."""
    if safe_href(url):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, url)
    return format_html("{}", url)


def speaker_url(slug: str | None) -> str:
    """A speaker's public page; the panel's page for predictions nobody is named for."""
    return reverse("speaker", args=[slug]) if slug else reverse("unattributed")


def timestamped_url(url: str, seconds: int | None) -> str:
    """The source URL, starting at `seconds` when the recording is on YouTube (&t=<s>s)."""
    if not url or seconds is None:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("youtu.be", "youtube.com") or host.endswith(".youtube.com"):
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", f"{seconds}s"))
        return urlunsplit(parts._replace(query=urlencode(query)))
    return url
