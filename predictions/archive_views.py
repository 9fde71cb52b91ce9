"""An archived copy of a piece of evidence, as a download that cannot run on this site:
`Content-Disposition: attachment`, `Content-Security-Policy: sandbox` (stored HTML opened
anyway runs in a unique origin with no scripts) and `nosniff` (SecurityMiddleware)."""

from __future__ import annotations

import mimetypes

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .models import ArchivedCopy, ArchiveStatus


@require_safe
def archived_copy(request: HttpRequest, pk: int) -> HttpResponse:
    copy = get_object_or_404(ArchivedCopy, pk=pk, status=ArchiveStatus.FETCHED)
    content_type = copy.content_type or "application/octet-stream"
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
    response = HttpResponse(bytes(copy.body), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{copy.pk}{extension}"'
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Digest"] = f"sha-256={copy.sha256}"
    # Never changed once fetched: any cache may keep it.
    patch_cache_control(response, public=True, max_age=86400, immutable=True)
    return response
