"""gunicorn speaks plain HTTP. Production assumes a TLS proxy in front (HTTPS=True, the
default): plain requests are redirected to https:// and cookies are Secure. HTTPS=False
serves plain HTTP as it comes, so a trial `make prod` answers instead of redirecting to an
https:// that nothing serves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import clean_environ

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {"DEBUG": "False", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "testserver"}


def answer(**env: str) -> dict:
    """A plain-HTTP GET of the home page's redirect check and the cookie flags, in a fresh process."""
    environ = clean_environ("DATABASE_URL", "HTTPS", "SECURE_SSL_REDIRECT", "DJANGO_SETTINGS_MODULE")
    environ.update(PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings", **env)
    code = (
        "import django, json; django.setup()\n"
        "from django.conf import settings\n"
        "from django.http import HttpResponse\n"
        "from django.middleware.security import SecurityMiddleware\n"
        "from django.test import RequestFactory\n"
        "response = SecurityMiddleware(lambda r: HttpResponse('ok'))(RequestFactory().get('/'))\n"
        "print(json.dumps({'status': response.status_code, 'location': response.get('Location'),"
        " 'secure_cookies': settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_behind_a_tls_proxy_plain_http_is_redirected_and_cookies_are_secure() -> None:
    assert answer() == {"status": 301, "location": "https://testserver/", "secure_cookies": True}


def test_https_false_serves_plain_http_without_a_redirect() -> None:
    assert answer(HTTPS="False") == {"status": 200, "location": None, "secure_cookies": False}
