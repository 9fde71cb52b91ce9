"""The evidence field's limits: twenty links are enough to make a case, more is a mistake."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from predictions.forms import MAX_EVIDENCE_LINKS, EvidenceField


def links(n: int) -> str:
    return "\n".join(f"https://example.org/{i}" for i in range(n))


def test_twenty_links_are_accepted() -> None:
    assert MAX_EVIDENCE_LINKS == 20
    assert len(EvidenceField().clean(links(20))) == 20


def test_twenty_one_links_are_refused() -> None:
    with pytest.raises(ValidationError, match="At most 20 links"):
        EvidenceField().clean(links(21))
