"""Topics in the admin (admin/topics.py, admin/predictions.py): the vocabulary's list, a
prediction's topics edited on its change page under the same lock, the list filter."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from predictions.models import Topic
from tests.admin_support import CHANGELIST, change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    return client


def test_a_predictions_topics_are_edited_on_its_page_and_bump_its_version(
    editor: Client, make_due: Any
) -> None:
    compute = Topic.objects.create(slug="compute", name="Compute")
    p = make_due(claim="Clusters double.")
    data = form_data(editor.get(change_url(p)))
    response = editor.post(change_url(p), data | {"topics": [str(compute.pk)]})
    assert response.status_code == 302
    p.refresh_from_db()
    assert list(p.topics.all()) == [compute] and p.version == 2
    # The page loaded before that edit is stale now: refused, nothing saved.
    stale = editor.post(change_url(p), data | {"topics": []})
    assert stale.status_code == 200 and list(p.topics.all()) == [compute]


def test_the_topic_admin_lists_each_with_its_count_and_the_queue_filters_by_topic(
    editor: Client, make_due
) -> None:
    compute = Topic.objects.create(slug="compute", name="Compute")
    Topic.objects.create(slug="empty", name="Empty")
    make_due(claim="Clusters double.").topics.add(compute)
    make_due(claim="Looms weave.")
    listed = editor.get("/admin/predictions/topic/")
    assert listed.status_code == 200
    assert [(t.name, t.n) for t in listed.context["cl"].result_list] == [("Compute", 1), ("Empty", 0)]
    filtered = editor.get(CHANGELIST, {"status": "all", "topics__id__exact": str(compute.pk)})
    assert [p.claim for p in filtered.context["cl"].result_list] == ["Clusters double."]
