"""Who wrote a history row, and how the public sees them: the one home of that rule.

A row is written by a reviewer (their user, and their user name as `actor_name`) or by a
role of the service itself (no user; `actor_name` is the role's name, such as "scheduler").
The public pages, the feed and the API show a role by its label and every reviewer as
"Reviewer"; a public download keeps a role's name and writes "reviewer" for every person.
Never a reviewer's user name, on any public path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None
    name: str

    @classmethod
    def of(cls, user: AbstractBaseUser) -> Actor:
        return cls(user=user, name=user.get_username())


SCHEDULER = Actor(user=None, name="scheduler")
# A prediction file imported by `manage.py import_predictions`: no person made the change.
IMPORTER = Actor(user=None, name="import")

# The service's own roles: actor_name -> the label the public pages show.
ROLES: dict[str, str] = {SCHEDULER.name: "Scheduler", IMPORTER.name: "Import"}
REVIEWER_LABEL = "Reviewer"  # every person, on the pages, the feed and the API
REDACTED_REVIEWER = "reviewer"  # every person, in a public download


def public_label(actor_id: int | None, actor_name: str) -> str:
    """Who decided, as the pages, the feed and the API show it: a role's label for a row
    written by the service itself, else "Reviewer"."""
    if actor_id is None and actor_name in ROLES:
        return ROLES[actor_name]
    return REVIEWER_LABEL


def public_download_name(actor_name: str) -> str:
    """The `actor` of a public download: a role's name (and an empty actor) as stored, every
    person as "reviewer". The download carries no user id, so the name decides here."""
    return actor_name if not actor_name or actor_name in ROLES else REDACTED_REVIEWER
