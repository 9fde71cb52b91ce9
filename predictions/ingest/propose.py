"""Candidates from a parsed summary, and storing them so that a re-ingest proposes nothing new.

`propose()` is pure (a document in, proposals out) so the rules can be tested without a
database; `match_transcript()` adds each proposal's passage; `store()` writes them, keyed by
(source, fingerprint): the same bullet in the same section is the same candidate however
often the file is ingested, and an edited bullet is a new one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import date

from django.db import transaction
from django.utils.text import slugify

from predictions.models import QUOTE_MAX, Attribution, Source, Speaker

from ..models import Candidate, CandidateStatus
from .document import Block, BlockKind, Document, section_path, split_sentences
from .forward import (
    HorizonReading,
    Person,
    is_continuation,
    is_forward,
    named_person,
    read_horizon,
    speaks_of_future,
)
from .transcript import Cue, best_passage, best_score

SECTION_MAX = 300  # Candidate.section / Prediction.section


@dataclass(frozen=True)
class Proposal:
    text: str
    path: tuple[str, ...]
    line: int
    reading: HorizonReading
    person: Person | None = None
    attribution: str = Attribution.UNATTRIBUTED
    source_timestamp: int | None = None
    passage: str = ""
    match_score: float | None = None

    @property
    def section(self) -> str:
        return section_path(self.path)[:SECTION_MAX]

    @property
    def fingerprint(self) -> str:
        normal = " ".join(self.text.casefold().split()) + "\x1f" + " ".join(self.section.casefold().split())
        return hashlib.sha256(normal.encode()).hexdigest()


def propose(document: Document, stated_on: date, people: Sequence[Person]) -> list[Proposal]:
    proposals: list[Proposal] = []
    seen: set[str] = set()
    previous: tuple[Block, Proposal] | None = None
    for block in document.blocks:
        under_future = any(speaks_of_future(h) for h in block.path)
        lead_forward = bool(block.lead_in) and (is_forward(block.lead_in) or speaks_of_future(block.lead_in))
        texts = split_sentences(block.text) if block.kind == BlockKind.PARAGRAPH else [block.text]
        for text in (t.rstrip(":").strip() for t in texts):
            continued = _continues(block, text, previous)
            if not (under_future or is_forward(text) or (block.kind != BlockKind.PARAGRAPH and lead_forward)):
                if continued is None:
                    continue
            layers = [text, block.lead_in, *reversed(block.path)]
            person = named_person(layers, people)
            reading = continued.reading if continued else read_horizon(text, block.path, stated_on)
            proposal = Proposal(
                text=text,
                path=block.path,
                line=block.line,
                reading=reading,
                person=person,
                attribution=Attribution.NAMED if person else Attribution.UNATTRIBUTED,
            )
            if proposal.fingerprint not in seen:
                seen.add(proposal.fingerprint)
                proposals.append(proposal)
            previous = (block, proposal)
    return proposals


def _continues(block: Block, text: str, previous: tuple[Block, Proposal] | None) -> Proposal | None:
    """The proposal a "But ..." bullet continues: the bullet just before it in the same list."""
    if previous is None or block.kind != BlockKind.BULLET or not is_continuation(text):
        return None
    before, proposal = previous
    same_list = before.kind == BlockKind.BULLET and (before.path, before.lead_in) == (
        block.path,
        block.lead_in,
    )
    return proposal if same_list and before.line == block.line - 1 else None


def match_transcript(proposals: list[Proposal], cues: list[Cue], people: Sequence[Person]) -> list[Proposal]:
    """Each proposal with its best-matching passage; a labelled passage names the speaker
    when the document did not (the document's own naming wins)."""
    matched = []
    for proposal in proposals:
        found = best_passage(proposal.text, cues)
        if found is None:
            matched.append(replace(proposal, match_score=best_score(proposal.text, cues)))
            continue
        proposal = replace(
            proposal, source_timestamp=int(found.start), passage=found.text, match_score=found.score
        )
        if proposal.person is None and found.label:
            if (person := named_person([found.label], people)) is not None:
                proposal = replace(proposal, person=person, attribution=Attribution.TRANSCRIPT)
        matched.append(proposal)
    return matched


def people() -> list[Person]:
    return [Person(pk, name) for pk, name in Speaker.objects.values_list("pk", "name")]


def main_reference(document: Document) -> int | None:
    """The Sources entry the claims are from: the one the `[n]` markers cite most (ties: the
    lowest number), or the first entry when nothing cites one."""
    cited = Counter(n for block in document.blocks for n in block.refs if n in document.sources)
    if cited:
        top = max(cited.values())
        return min(n for n, count in cited.items() if count == top)
    return min(document.sources) if document.sources else None


def new_source(title: str, url: str, published_on: date) -> Source:
    base = slugify(title)[:190] or "source"
    slug, n = base, 1
    while Source.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Source(title=title[:300], slug=slug, url=url, published_on=published_on)


@dataclass
class StoreResult:
    created: int = 0
    unchanged: int = 0
    updated: int = 0  # still proposed, given a transcript passage this time
    decided: int = 0  # already accepted, merged or rejected: left alone
    # Lines of bullets longer than a prediction's quote may be (QUOTE_MAX): a candidate that
    # could never be accepted is not proposed; the command names the lines.
    too_long: list[int] = dataclass_field(default_factory=list)


TRANSCRIPT_FIELDS = ("source_timestamp", "passage", "match_score")


def store(source: Source, proposals: Sequence[Proposal], with_transcript: bool) -> StoreResult:
    """Write the proposals as candidates of `source` (saved first if new), in one transaction."""
    result = StoreResult()
    with transaction.atomic():
        if source.pk is None:
            source.save()
        existing = {
            c.fingerprint: c
            for c in Candidate.objects.select_for_update().filter(
                source=source, fingerprint__in=[p.fingerprint for p in proposals]
            )
        }
        new = []
        for proposal in proposals:
            if len(proposal.text) > QUOTE_MAX:
                result.too_long.append(proposal.line)
                continue
            candidate = existing.get(proposal.fingerprint)
            if candidate is None:
                new.append(_candidate(source, proposal))
            elif candidate.status != CandidateStatus.PROPOSED:
                result.decided += 1
            elif with_transcript and _refresh(candidate, proposal):
                result.updated += 1
            else:
                result.unchanged += 1
        Candidate.objects.bulk_create(new)
        result.created = len(new)
    return result


def _candidate(source: Source, proposal: Proposal) -> Candidate:
    return Candidate(
        source=source,
        fingerprint=proposal.fingerprint,
        section=proposal.section,
        line=proposal.line,
        text=proposal.text,
        claim=proposal.text,
        horizon=proposal.reading.horizon,
        horizon_as_said=proposal.reading.as_said[:100],
        due_on=proposal.reading.due_on,
        speaker_id=proposal.person.pk if proposal.person else None,
        attribution=proposal.attribution,
        source_timestamp=proposal.source_timestamp,
        passage=proposal.passage,
        match_score=proposal.match_score,
    )


def _refresh(candidate: Candidate, proposal: Proposal) -> bool:
    """Give a still-proposed candidate this run's transcript passage; True if it changed."""
    fresh = _candidate(candidate.source, proposal)
    fields = [f for f in TRANSCRIPT_FIELDS if getattr(candidate, f) != getattr(fresh, f)]
    if candidate.attribution == Attribution.UNATTRIBUTED and fresh.attribution == Attribution.TRANSCRIPT:
        fields += ["speaker", "attribution"]
    for field in fields:
        setattr(candidate, field, getattr(fresh, field))
    if fields:
        candidate.save(update_fields=fields)
    return bool(fields)
