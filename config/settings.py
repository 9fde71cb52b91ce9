"""Settings for the prediction tracker, read from the environment.

SQLite (with django-q2's ORM broker) when DATABASE_URL is unset, PostgreSQL through
psycopg 3 when it is set. Production (DEBUG=False) refuses to start without SECRET_KEY.
"""

import ipaddress
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def fail(message: str) -> NoReturn:
    """Stop at start-up with one clear line rather than a traceback."""
    sys.exit(f"Configuration error: {message}")


def envbool(name: str, default: str) -> bool:
    # Exactly "True" or "False", as healthchecks does: "yes", "1" or "false" are
    # mistakes worth refusing rather than guessing at.
    value = os.environ.get(name, default)
    if value not in ("True", "False"):
        fail(f"{name} must be 'True' or 'False', not {value!r}.")
    return value == "True"


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        fail(f"{name} must be a whole number, not {value!r}.")


def envfloat(name: str, default: str) -> float:
    value = os.environ.get(name, default)
    try:
        return float(value)
    except ValueError:
        fail(f"{name} must be a number, not {value!r}.")


DEBUG = envbool("DEBUG", "True")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        fail("SECRET_KEY must be set when DEBUG=False (production).")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]


def development_root(web_addr: str) -> str:
    """Where `make run`'s server is (the Procfile's WEB_ADDR: `8001`, `0.0.0.0:8001`, ...)
    as a browser on this machine reaches it, so the e-mails' links follow the port."""
    host, _, port = web_addr.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    return f"http://{host}:{port}"


# Links in e-mails. Production names its public address; development follows WEB_ADDR.
SITE_ROOT = os.environ.get(
    "SITE_ROOT",
    development_root(os.environ.get("WEB_ADDR", "127.0.0.1:8000")) if DEBUG else "http://127.0.0.1:8000",
).rstrip("/")

INSTALLED_APPS = [
    # Before django.contrib.admin, so predictions/templates/admin/base_site.html (the
    # "scheduler late" warning) is found before the admin's own.
    "predictions",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "axes",
    "csp",
    # django-ninja: the API docs page serves its own Swagger UI files, not a CDN's.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the query string is a 400 before any view or query sees it.
    "predictions.middleware.NulRefusedMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that touches the database (sessions, auth): an unreachable database
    # is a 503 page saying so, not a 500.
    "predictions.middleware.DatabaseUnavailableMiddleware",
    # Public GETs read the replica when DATABASE_REPLICA_URL is set; a no-op otherwise.
    "predictions.routers.ReplicaReadsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "predictions.context_processors.scheduler",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
        # A database that does not answer fails a request (and /healthz) in seconds, not
        # after the operating system's TCP timeout of minutes.
        default_db.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", envint("DATABASE_CONNECT_TIMEOUT", "5")
        )
    except Exception as e:  # dj-database-url raises several types for bad URLs
        fail(f"DATABASE_URL is not a usable database URL ({e}).")
    if default_db.get("ENGINE") != "django.db.backends.postgresql":
        fail("DATABASE_URL must be a postgres:// URL; leave it unset for the embedded SQLite.")
else:
    default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        # The web server and the django-q2 cluster share this file. WAL lets readers
        # run beside a writer; IMMEDIATE takes the write lock at BEGIN so two writers
        # queue on the busy timeout instead of failing with "database is locked" when
        # a read transaction tries to upgrade.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
DATABASES = {"default": default_db}

# An optional read replica of the PostgreSQL primary (streaming replication, managed by
# whoever runs the databases): the public pages and the API's GETs read from it
# (predictions/routers.py); writes, the admin and /healthz use the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        fail("DATABASE_REPLICA_URL needs DATABASE_URL: a replica of the embedded SQLite cannot be.")
    try:
        replica_db = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    except Exception as e:  # dj-database-url raises several types for bad URLs
        fail(f"DATABASE_REPLICA_URL is not a usable database URL ({e}).")
    if replica_db.get("ENGINE") != "django.db.backends.postgresql":
        fail("DATABASE_REPLICA_URL must be a postgres:// URL.")
    replica_db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", envint("DATABASE_CONNECT_TIMEOUT", "5")
    )
    # The test runner makes no database for it: in tests it is the primary's.
    replica_db["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica_db
    DATABASE_ROUTERS = ["predictions.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The collectstatic folder, made by the production start only (STATIC_ROOT in the
# environment moves it). In development whitenoise serves from the apps' static folders
# (finders), so none is configured there: no warning about a folder not meant to exist.
STATIC_ROOT = None if DEBUG else Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "/admin/login/"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one user name
# from one address, that pair is refused, even with the right password, for
# AXES_COOLOFF_MINUTES. Attempts are rows in the database, so every gunicorn worker sees
# them. Unlock early: admin → Axes → Access attempts, or `manage.py axes_reset_username NAME`.
# AxesStandaloneBackend only refuses a locked-out login; ModelBackend signs people in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
# Username and address together: a guesser at one address cannot lock a reviewer out
# everywhere, and a shared office address does not lock everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Quiet start-up (every command printed a banner); lockouts are still logged as warnings
# by the "axes" logger with the user name and address.
AXES_VERBOSE = False
# Name the user and address in those warnings (passwords are never logged): the operator
# needs them to know whom to unlock, and the admin's attempt list shows them anyway.
AXES_SENSITIVE_PARAMETERS: list[str] = []

# Content-Security-Policy (django-csp): everything from this site, nothing inline. The
# templates keep their CSS and JavaScript in static files; the favicon is an empty data: URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Production hardening; `manage.py check --deploy` is clean with DEBUG=False and HTTPS=True.
# gunicorn speaks plain HTTP only: HTTPS (the default) says a TLS proxy in front serves
# https:// and tells the app so in X-Forwarded-Proto, so plain requests are redirected there
# and cookies are sent over HTTPS only. HTTPS=False serves plain HTTP as it comes (a trial
# `make prod` on this host, a private network): without it every page redirected to an
# https:// nothing served. bin/start says at start which of the two it is.
HTTPS = envbool("HTTPS", "True") if not DEBUG else False
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(HTTPS))
    # Health checks come over plain HTTP from inside the container or the load balancer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if HTTPS:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SESSION_COOKIE_SECURE = True
        CSRF_COOKIE_SECURE = True
        SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True

# E-mail: the console in development, SMTP from the environment in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "predictions@localhost")

# django-q2: the ORM broker needs no other server; Redis when REDIS_URL is set.
# timeout < retry, or a slow task is delivered a second time while still running
# (check predictions.W001); retry is also how long a run whose worker died (a crash, a
# kill) waits before it is delivered again: 3 minutes, not hours. The daily job commits
# each batch on its own, so a run cut off at `timeout` loses nothing and the next attempt
# carries on. max_attempts bounds retries (django-q2's default 0 retries forever);
# catch_up=False so a cluster that was down for a week runs the daily job once, not seven times.
Q_CLUSTER = {
    "name": "predictions",
    "workers": envint("Q_WORKERS", "2"),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 250,
    "ack_failures": True,
    "poll": 2,
    "sync": envbool("Q_SYNC", "False"),
}
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# A Redis that accepts connections but never answers (a stuck or overloaded server, a
# half-open network path) must cost seconds, not hang a worker or a request for the TCP
# timeout. Connecting gets REDIS_CONNECT_TIMEOUT; the broker's reads get longer than the
# 1 s its BLPOP waits for a task (django-q2's redis_broker.dequeue), or every idle poll would
# time out; the cache's reads get REDIS_CACHE_TIMEOUT (below).
REDIS_CONNECT_TIMEOUT = envfloat("REDIS_CONNECT_TIMEOUT", "0.5")
BROKER_READ_TIMEOUT = 5.0


def with_timeouts(url: str, connect: float, read: float) -> str:
    """The URL with redis-py's socket timeouts as query arguments (`redis.from_url` reads them)."""
    return f"{url}{'&' if '?' in url else '?'}socket_connect_timeout={connect:g}&socket_timeout={read:g}"


if REDIS_URL:
    if not REDIS_URL.startswith(REDIS_SCHEMES):
        fail(f"REDIS_URL must be a redis:// URL, not {REDIS_URL!r}.")
    # django-q2 hands a string to redis.from_url, a dict to redis.Redis(**dict).
    Q_CLUSTER["redis"] = with_timeouts(REDIS_URL, REDIS_CONNECT_TIMEOUT, BROKER_READ_TIMEOUT)
else:
    Q_CLUSTER["orm"] = "default"

# Scorecard: the credit a "partially held up" outcome earns in accuracy (held up = 1,
# did not hold up = 0). One setting, documented in docs/using.md ("Scorecard").
PARTIAL_CREDIT = envfloat("PARTIAL_CREDIT", "0.5")

# The public API and the calendars: requests per period an anonymous client may make
# ("120/min", "5000/day"; predictions/throttle.py), each counted on its own. Counted in the
# default cache: per process unless CACHE_URL (or REDIS_URL) names a shared one, so with
# several web workers or hosts set one of them for one count.
API_ANON_RATE = os.environ.get("API_ANON_RATE", "120/min")
if not re.fullmatch(r"\d+/\d*(s|sec|m|min|h|hour|d|day)", API_ANON_RATE):
    fail(f"API_ANON_RATE must look like '120/min' or '5000/day', not {API_ANON_RATE!r}.")
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR and the header is ignored (anyone can write it); N: the Nth address from the
# right, the one the outermost proxy saw. More than there are lets clients pick their address.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")
if TRUSTED_PROXY_COUNT < 0:
    fail(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")

# Django's cache: the rendered scorecard and the throttle's counts (django-axes keeps its
# attempts in the database, not here). Each process's own memory unless CACHE_URL, or else
# REDIS_URL, names a Redis (redis://host:6379/1) that every web worker on every host
# shares: one throttle count, one page cache invalidated for all. Short timeouts: a cache
# that does not answer must cost a request under a second (a get and a set at
# REDIS_CACHE_TIMEOUT each), not the TCP timeout; caching.py then treats it as a miss.
CACHE_URL = os.environ.get("CACHE_URL", "") or REDIS_URL
REDIS_CACHE_TIMEOUT = envfloat("REDIS_CACHE_TIMEOUT", "0.5")


def redis_cache(url: str) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        # Beside django-q2's keys when both share one Redis database.
        "KEY_PREFIX": "predictions",
        # Passed to redis-py's connection pool, so to every connection it opens.
        "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_CACHE_TIMEOUT},
    }


# The rendered scorecard pages (`pages`, predictions/caching.py) must be one copy for every
# worker process and host, rendered once per data version: without a Redis they live in a
# table of the database they all share (made by migration 0018), not in each process's
# memory, where four gunicorn workers meant four renders of every page after every write.
PAGE_CACHE_TABLE = "predictions_page_cache"
if CACHE_URL:
    if not CACHE_URL.startswith(REDIS_SCHEMES):
        fail(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}.")
    CACHES = {"default": redis_cache(CACHE_URL), "pages": redis_cache(CACHE_URL)}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": PAGE_CACHE_TABLE,
            # A page per filter and version; the oldest third goes past this many.
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }

# The scorecard's request that finds its page out of date (a write since) answers with the
# version before and renders the new one in a thread after its response (predictions/caching.py):
# no reader waits for a render. False: that request renders before it answers (the tests'
# setting, where a thread could not see the test's transaction).
SCORECARD_RENDER_BEHIND = envbool("SCORECARD_RENDER_BEHIND", "True")

# Open the history downloads to anonymous visitors (then without reviewers' names).
PUBLIC_EXPORT = envbool("PUBLIC_EXPORT", "False")

# Calendars (predictions/calendars.py; docs/operating.md): the site-wide /calendar.ics holds
# the next CALENDAR_SITE_EVENTS coming due (a subscribed feed of half a million serves
# nobody, and its cost would grow with the data); every calendar streams keyset pages of
# CALENDAR_PAGE_SIZE rows, what one request holds in memory; one at most
# CALENDAR_CACHE_BYTES long is kept in the cache under the data version.
CALENDAR_SITE_EVENTS = envint("CALENDAR_SITE_EVENTS", "500")
CALENDAR_PAGE_SIZE = envint("CALENDAR_PAGE_SIZE", "500")
CALENDAR_CACHE_BYTES = envint("CALENDAR_CACHE_BYTES", "2000000")
for _name in ("CALENDAR_SITE_EVENTS", "CALENDAR_PAGE_SIZE"):
    # A page of 0 rows would never advance; a calendar of 0 events is a broken feed.
    if globals()[_name] < 1:
        fail(f"{_name} must be 1 or more, not {globals()[_name]}.")
if CALENDAR_CACHE_BYTES < 0:
    fail(f"CALENDAR_CACHE_BYTES must be 0 or more (0 caches no calendar), not {CALENDAR_CACHE_BYTES}.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Public forms, counted per client address (predictions/follow_views.py, challenge_views.py).
FOLLOW_RATE = os.environ.get("FOLLOW_RATE", "5/h")
CHALLENGE_RATE = os.environ.get("CHALLENGE_RATE", "3/h")
# Evidence archiving (predictions/archiving.py): an external copy too, off by default, asked
# of ARCHIVE_EXTERNAL_ENDPOINT + the link; ARCHIVE_ALLOWED_NETWORKS lets the fetcher reach
# these networks although they are private (the tests' 127.0.0.1; empty in production).
ARCHIVE_EXTERNAL = envbool("ARCHIVE_EXTERNAL", "False")
ARCHIVE_EXTERNAL_ENDPOINT = os.environ.get("ARCHIVE_EXTERNAL_ENDPOINT", "https://web.archive.org/save/")
if not ARCHIVE_EXTERNAL_ENDPOINT.startswith(("http://", "https://")):
    fail(
        f"ARCHIVE_EXTERNAL_ENDPOINT must be an http:// or https:// address, not {ARCHIVE_EXTERNAL_ENDPOINT!r}."
    )
ARCHIVE_ALLOWED_NETWORKS = [
    n.strip() for n in os.environ.get("ARCHIVE_ALLOWED_NETWORKS", "").split(",") if n.strip()
]
for _network in ARCHIVE_ALLOWED_NETWORKS:
    # Read here, not first at a fetch: a mistyped network would fail every archiving task.
    try:
        ipaddress.ip_network(_network)
    except ValueError:
        fail(
            "ARCHIVE_ALLOWED_NETWORKS must be networks separated by commas "
            f"(such as 127.0.0.1/32,10.0.0.0/8), not {_network!r}."
        )
# How many reviewers settle an outcome (predictions/decisions.py): 1, one reviewer's decision
# is the outcome; 2, a panel: it is proposed until a different reviewer confirms it, and a
# different outcome from the second makes it disputed until a third reviewer settles it.
REVIEW_QUORUM = envint("REVIEW_QUORUM", "1")
if REVIEW_QUORUM not in (1, 2):
    fail(f"REVIEW_QUORUM must be 1 (one reviewer) or 2 (a panel), not {REVIEW_QUORUM}.")
