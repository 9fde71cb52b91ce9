"""Is the database reachable, and where is it? One rule shared by manage.py, the web
middleware and /healthz, so a down database reads the same everywhere."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Connection-level failures: psycopg raises client-side ones without a SQLSTATE; the server
# sends class 08 (connection exception) or 57P01-57P03 (shutting down, cannot connect now).
# Anything else (a lock timeout, a cancelled query, SQLite's "database is locked") is a
# problem with one statement, not an unreachable database.
UNREACHABLE_SQLSTATES = ("57P01", "57P02", "57P03")


def database_address(alias: str = DEFAULT_DB_ALIAS) -> str:
    db = settings.DATABASES[alias]
    if db["ENGINE"].endswith("sqlite3"):
        return str(db["NAME"])
    return f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"


def is_unreachable(exc: BaseException) -> bool:
    """True for an OperationalError that means the database cannot be reached at all."""
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", "no sqlstate")
    if sqlstate is None or (isinstance(sqlstate, str) and sqlstate.startswith("08")):
        return True
    if sqlstate in UNREACHABLE_SQLSTATES:
        return True
    # SQLite: the file or its folder cannot be opened.
    return "unable to open database file" in str(exc)


# PostgreSQL refuses the connection with 3D000, but psycopg reports a failed connect without
# a SQLSTATE, so the server's message is all there is to tell it by.
MISSING_DATABASE = re.compile(r'database "(?P<name>[^"]+)" does not exist')


def missing_database(exc: BaseException) -> str | None:
    """The name of the database the server says does not exist, or None."""
    match = MISSING_DATABASE.search(str(exc))
    return match["name"] if match else None


def problem(exc: BaseException, alias: str = DEFAULT_DB_ALIAS) -> str:
    """One line for an unreachable database: a server that answers but lacks the database
    is told how to make it, since "cannot reach" would send them looking at the network."""
    name = missing_database(exc)
    if name is not None:
        db = settings.DATABASES[alias]
        where = f"-h {db.get('HOST') or 'localhost'} -p {db.get('PORT') or 5432}"
        user = f" -U {db['USER']}" if db.get("USER") else ""
        return (
            f"database {name} does not exist on the server at {database_address(alias)}: "
            f"create it with `createdb {where}{user} {name}`"
        )
    return f"cannot reach the database at {database_address(alias)} ({reason(exc)})"


def reason(exc: BaseException) -> str:
    """The driver's message on one line (psycopg's spans two, with a tab-indented hint)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def ping(alias: str = DEFAULT_DB_ALIAS) -> None:
    """One round trip; raises django.db.OperationalError when the database does not answer."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
