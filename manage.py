#!/usr/bin/env python
import os
import sys

# Long-running commands that would otherwise start with the database down and print a
# traceback per request or per poll: check the database answers before starting them.
NEEDS_DATABASE_FIRST = {"runserver", "qcluster", "serve"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db import OperationalError

    try:
        if len(sys.argv) > 1 and sys.argv[1] in NEEDS_DATABASE_FIRST:
            import django

            django.setup()
            from predictions.dbcheck import ping

            ping()
        execute_from_command_line(sys.argv)
    except OperationalError as e:
        from predictions.dbcheck import is_unreachable, problem

        if not is_unreachable(e):
            raise
        # One line, not a 90-line traceback: which database, and the driver's reason.
        sys.exit(f"Database error: {problem(e)}.")


if __name__ == "__main__":
    main()
