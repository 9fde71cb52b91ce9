"""How the public sees who wrote a history row: a role by its label, every person as a
reviewer, never by user name — on the pages, the feed, the API and a public download alike."""

from __future__ import annotations

import pytest

from predictions.actors import IMPORTER, SCHEDULER, public_download_name, public_label


@pytest.mark.parametrize(
    ("actor_id", "actor_name", "label", "download"),
    [
        (None, SCHEDULER.name, "Scheduler", "scheduler"),
        (None, IMPORTER.name, "Import", "import"),
        (7, "alice", "Reviewer", "reviewer"),
        (None, "alice", "Reviewer", "reviewer"),  # an imported reviewer: a person, no user here
        (7, "scheduler", "Reviewer", "scheduler"),  # a person named like the role: never the role's label
        (None, "", "Reviewer", ""),
    ],
)
def test_a_role_is_shown_by_its_label_and_a_person_as_a_reviewer(
    actor_id: int | None, actor_name: str, label: str, download: str
) -> None:
    assert public_label(actor_id, actor_name) == label
    assert public_download_name(actor_name) == download
